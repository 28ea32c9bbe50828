"""Expected values computed independently of the core: own grid arithmetic, rasterio reads.

Nothing here imports rs_embed_qgis. The product's pixel cells have edges at
lon = -180.125 + 0.25 k and lat = 90.125 - 0.25 k; a cell is read iff it intersects the
(expanded) bbox with positive area.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import http.server
import ipaddress
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

HEIGHT = 721
WIDTH = 1440
BANDS = 768


def col_west(c: int) -> float:
    """West edge of global (unwrapped) column c."""
    return -180.125 + 0.25 * c


def row_north(r: int) -> float:
    """North edge of global row r."""
    return 90.125 - 0.25 * r


def cols_for(minlon: float, maxlon: float) -> list[int]:
    """Unwrapped columns whose cells overlap (minlon, maxlon) with positive width."""
    return [
        c for c in range(-WIDTH, 2 * WIDTH) if col_west(c) < maxlon and col_west(c) + 0.25 > minlon
    ]


def rows_for(minlat: float, maxlat: float) -> list[int]:
    """Rows of the product (0..720) whose cells overlap (minlat, maxlat) with positive height."""
    return [r for r in range(HEIGHT) if row_north(r) > minlat and row_north(r) - 0.25 < maxlat]


def cells_for(box: tuple[float, float, float, float]) -> tuple[list[int], list[int]]:
    """(rows, unwrapped cols) read for a lon/lat box."""
    minlon, minlat, maxlon, maxlat = box
    return rows_for(minlat, maxlat), cols_for(minlon, maxlon)


def edges_of(rows: list[int], cols: list[int]) -> tuple[float, float, float, float]:
    """Pixel-edge bounds (minlon, minlat, maxlon, maxlat) of a block of cells."""
    return (col_west(cols[0]), row_north(rows[-1] + 1), col_west(cols[-1] + 1), row_north(rows[0]))


def seed_box(lon: float, lat: float, expand_deg: float = 1.0) -> tuple[float, float, float, float]:
    """The box the seed's code slices: expand_deg around the centre, whatever the ROI."""
    h = expand_deg / 2.0
    return (lon - h, lat - h, lon + h, lat + h)


# Files up to this many bytes of pixels are read whole once; larger ones by windows.
_WHOLE_FILE_BYTES = 64 * 1024**2


@functools.lru_cache(maxsize=8)
def _header(path: str) -> tuple[int, int, int, int]:
    """(global row offset, global col offset, height, width) of a product file."""
    with rasterio.open(path) as src:
        t = src.transform
        return round((90.125 - t.f) / 0.25), round((t.c + 180.125) / 0.25), src.height, src.width


@functools.lru_cache(maxsize=4)
def _whole(path: str) -> np.ndarray:
    """The whole file as (H, W, 768) float32, via rasterio."""
    with rasterio.open(path) as src:
        hwc = np.moveaxis(src.read(), 0, -1).copy()
    hwc.setflags(write=False)
    return hwc


@functools.lru_cache(maxsize=32)
def _read(path: str, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """File-local block [r0:r1, c0:c1] as (h, w, 768)."""
    _, _, height, width = _header(path)
    if height * width * BANDS * 4 <= _WHOLE_FILE_BYTES:
        return _whole(path)[r0:r1, c0:c1]
    with rasterio.open(path) as src:
        block = np.moveaxis(src.read(window=Window(c0, r0, c1 - c0, r1 - r0)), 0, -1)
    block.setflags(write=False)
    return block


def product_file(data_dir: str | os.PathLike) -> Path:
    """The product file of a fixture data directory."""
    return Path(data_dir) / "embed_map_310k.tif"


def file_pixels(data_dir: str | os.PathLike, rows: list[int], cols: list[int]) -> np.ndarray:
    """(len(rows), len(cols), 768) pixels read from the file; wrapped cols, zeros off-file."""
    path = os.path.realpath(product_file(data_dir))
    row_off, col_off, height, width = _header(path)
    out = np.zeros((len(rows), len(cols), BANDS), dtype=np.float32)
    in_rows = [(i, r - row_off) for i, r in enumerate(rows) if 0 <= r - row_off < height]
    in_cols = [
        (j, c % WIDTH - col_off) for j, c in enumerate(cols) if 0 <= c % WIDTH - col_off < width
    ]
    if not in_rows or not in_cols:
        return out
    lr = [r for _, r in in_rows]
    # One read per run of consecutive file columns (a request across the antimeridian
    # touches both ends of a full-width file, not the middle).
    runs: list[list[tuple[int, int]]] = []
    for j, lc in in_cols:
        if runs and lc == runs[-1][-1][1] + 1:
            runs[-1].append((j, lc))
        else:
            runs.append([(j, lc)])
    for run in runs:
        block = _read(path, min(lr), max(lr) + 1, run[0][1], run[-1][1] + 1)
        for i, r in in_rows:
            for k, (j, _) in enumerate(run):
                out[i, j] = block[r - min(lr), k]
    return out


def valid(hwc: np.ndarray) -> np.ndarray:
    """Pixels whose vector is not all zero."""
    return np.any(hwc != 0, axis=-1)


def mean_valid(hwc: np.ndarray) -> np.ndarray:
    """Mean over the non-empty pixels, in float64."""
    v = hwc[valid(hwc)].astype(np.float64)
    return v.mean(axis=0)


def max_valid(hwc: np.ndarray) -> np.ndarray:
    """Max over the non-empty pixels."""
    return hwc[valid(hwc)].max(axis=0)


# ------------------------------------------------------------------------- network guard


def _is_loopback(address: object) -> bool:
    """True for a loopback (or Unix-socket) address, the only ones tests may connect to."""
    if not isinstance(address, tuple):
        return True  # AF_UNIX path
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode()
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture(autouse=True)
def no_outbound_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list]:
    """Refuse every non-loopback connection, and fail the test if one was attempted.

    Import this fixture into a test module to make it autouse there. A test that passes
    only because the machine is offline (``download=True`` left on) fails here on every
    machine, instead of starting a multi-GB download where there is internet. Attempts are
    recorded as well as refused, so a caller that swallows the error still fails the test.
    (Covers Python sockets: urllib, requests, torchvision; not Qt's own network stack.)
    """
    attempts: list = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            attempts.append(address)
            raise OSError(errno.ENETUNREACH, f"tests allow no outbound connection (to {address!r})")

    def connect(sock: socket.socket, address: object) -> None:
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: object) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts
    assert not attempts, f"the test tried to reach the network: {attempts}"


@contextlib.contextmanager
def loopback_http(routes: dict[str, tuple[int, bytes]]) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 serving ``{path: (status, body)}``; yields (base URL, paths asked)."""  # noqa: E501
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            asked.append(self.path)
            status, body = routes.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# ----------------------------------------------------------- independent polygon oracle


def hand_window(
    minlon: float, minlat: float, maxlon: float, maxlat: float
) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the cells a box overlaps, by floor/ceil on the cell edges.

    Cell edges are at lon = -180.125 + 0.25 k and lat = 90.125 - 0.25 k.
    """
    import math

    return (
        math.floor((90.125 - maxlat) / 0.25),
        math.ceil((90.125 - minlat) / 0.25),
        math.floor((minlon + 180.125) / 0.25),
        math.ceil((maxlon + 180.125) / 0.25),
    )


def _ogr_box(x0: float, y0: float, x1: float, y1: float):
    from osgeo import ogr

    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        ring.AddPoint_2D(x, y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def ogr_cell_fractions(wkt: str) -> list[tuple[int, int, float]]:
    """(row, col, covered fraction) of every product cell a lon/lat polygon covers.

    Each cell is clipped with OGR/GEOS (``Intersection``), independently of the plugin's
    NumPy coverage: first the polygon is cut into one strip per row, then each strip by the
    cells of that row. Fractions are of the cell's lon/lat area (0.0625 square degrees).
    """
    from osgeo import ogr

    g = ogr.CreateGeometryFromWkt(wkt)
    if not g.IsValid():
        g = g.MakeValid()
    minx, maxx, miny, maxy = g.GetEnvelope()
    r0, r1, c0, c1 = hand_window(minx, miny, maxx, maxy)
    cells = []
    for r in range(r0, r1):
        north = 90.125 - 0.25 * r
        south = north - 0.25
        strip = g.Intersection(_ogr_box(minx - 1.0, south, maxx + 1.0, north))
        if strip is None or strip.IsEmpty() or strip.GetArea() <= 0:
            continue
        for c in range(c0, c1):
            west = -180.125 + 0.25 * c
            piece = strip.Intersection(_ogr_box(west, south, west + 0.25, north))
            area = 0.0 if piece is None or piece.IsEmpty() else piece.GetArea()
            if area > 0:
                cells.append((r, c % WIDTH, area / 0.0625))
    return cells


def authalic_cell_area_m2(row: int) -> float:
    """Area of a cell of a row on the WGS84 ellipsoid, from the authalic-latitude formula.

    q(phi) = (1 - e^2) (sin phi / (1 - e^2 sin^2 phi) - ln((1 - e sin phi)/(1 + e sin phi)) / (2e)),
    area = a^2 / 2 * dlon * (q(north) - q(south)), edges clipped to +-90.
    """  # noqa: E501
    import math

    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return (1 - e2) * (s / (1 - e2 * s * s) - math.log((1 - e * s) / (1 + e * s)) / (2 * e))

    north = min(90.0, 90.125 - 0.25 * row)
    south = max(-90.0, 90.125 - 0.25 * (row + 1))
    return a * a / 2 * math.radians(0.25) * (q(north) - q(south))


def polygon_oracle(
    wkt: str, pooling: str = "mean", in_file=None
) -> tuple[np.ndarray | None, float]:
    """(pooled vector or None, valid fraction) of a polygon over the closed-form product.

    Mean: sum(fraction * cell area * pixel) / sum(fraction * cell area) over land cells;
    max: the max over land cells. The valid fraction is the land share of the weights.
    ``in_file(rows, cols)`` marks cells held by the fixture file (others are empty).
    """
    from tests import product

    cells = ogr_cell_fractions(wkt)
    if not cells:
        return None, 0.0
    rows = np.array([c[0] for c in cells])
    cols = np.array([c[1] for c in cells])
    w = np.array([c[2] * authalic_cell_area_m2(c[0]) for c in cells])
    land = product.land_mask(rows, cols)
    if in_file is not None:
        land &= in_file(rows, cols)
    frac = float(w[land].sum() / w.sum())
    if not land.any():
        return None, frac
    v = product.pixel_values(rows[land], cols[land]).astype(np.float64)
    if pooling == "max":
        return v.max(axis=0), frac
    wl = w[land]
    return (wl[:, None] * v).sum(axis=0) / wl.sum(), frac


# ------------------------------------------------------------------ k-means, written for the tests


def window_pixels(r0: int, r1: int, c0: int, c1: int) -> tuple[np.ndarray, np.ndarray]:
    """(h, w, 768) float64 closed-form pixels of a window (0 over ocean) and its land mask."""
    from tests import product

    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    land = product.land_mask(rr, cc)
    vals = product.pixel_values(rr, cc).astype(np.float64)
    vals[~land] = 0.0
    return vals, land


def sq_dists(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    return (x * x).sum(1)[:, None] - 2 * x @ c.T + (c * c).sum(1)[None, :]


def partition_quality(x: np.ndarray, labels: np.ndarray, k: int) -> tuple[float, int]:
    """(inertia around the clusters' means, pixels nearer to another cluster's mean)."""
    means = np.stack([x[labels == j].mean(axis=0) for j in range(k)])
    d = sq_dists(x, means)
    own = d[np.arange(len(x)), labels]
    return float(own.sum()), int((d.min(axis=1) < own - 1e-9 * own).sum())


def lloyd_inertia(x: np.ndarray, k: int, seed: int, max_iter: int = 100) -> float:
    """Inertia of plain Lloyd's k-means from k distinct random pixels (written for the test)."""
    rng = np.random.default_rng(seed)
    c = x[rng.choice(len(x), k, replace=False)]
    x2 = (x * x).sum(axis=1)
    lab = None
    for _ in range(max_iter):
        new = (-2 * x @ c.T + (c * c).sum(axis=1)).argmin(axis=1)
        if lab is not None and np.array_equal(new, lab):
            break  # a stable assignment
        lab = new
        onehot = np.eye(k)[lab]
        counts = onehot.sum(axis=0)
        c = np.where(counts[:, None] > 0, onehot.T @ x / np.maximum(counts, 1)[:, None], c)
    return float((x2[:, None] - 2 * x @ c.T + (c * c).sum(axis=1)).min(axis=1).sum())
