"""The rs_embed Processing provider: embed_features and embed_extent (toolbox and qgis_process)."""

import rs_embed_qgis.bridge  # noqa: F401 - isolates bundled native libs before first use
