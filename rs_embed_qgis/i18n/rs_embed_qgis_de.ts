<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
  <context>
    <name>RsEmbed</name>
    <message>
      <location filename="../gui/dock.py" line="724" />
      <source> (from the environment variable {env})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="722" />
      <source> (saved setting)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="725" />
      <source> (the default folder, relative to the working directory)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="716" />
      <source> and </source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="575" />
      <source>(search index: each score within {0:.1g})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="288" />
      <source>... and {0} more.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="146" />
      <source>768 bands {time}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="323" />
      <source>768 fields</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="326" />
      <source>768 fields: emb_000..emb_767, one number each (hidden in the attribute table). One JSON field: emb_json holds the whole vector as JSON array text, for Python or ML tools; fast to write, save and undo.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="748" />
      <source>; {0} feature(s) without a class skipped</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="763" />
      <source>; {0}-fold cross-validated accuracy {1:.1%} (confusion matrix: table {2!r} and the log)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="128" />
      <source>&lt;b&gt;Copernicus-Embed&lt;/b&gt; precomputed embeddings: 768 dimensions, 0.25° pixels</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="764" />
      <source>A batch is already running; cancel it or wait.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="192" />
      <source>A compact copy of the product (64 components per pixel, about 140 MB beside the cache), built once in a task the first time (one pass over the product). Places stay exact; similarity maps become approximate, each score within a stated bound (about 5e-4), and much faster on large scopes.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="494" />
      <source>A download is already running.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/base.py" line="143" />
      <source>A file could not be read or written: {0}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="180" />
      <source>A layer's extent</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="284" />
      <source>A raster layer: 768 bands and PCA colours.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="178" />
      <source>A shapefile cannot hold the {0} embedding fields (dBase allows 255 fields of 10 characters). Save the output as a GeoPackage (.gpkg) instead.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="535" />
      <location filename="../gui/explore_panel.py" line="587" />
      <source>Add at least one reference first.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="176" />
      <source>Add references on the map</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="217" />
      <source>Add selected features</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="62" />
      <source>Adds the Copernicus-Embed embedding (768 numbers, year 2021) of every feature as fields &lt;i&gt;prefix&lt;/i&gt;000 .. &lt;i&gt;prefix&lt;/i&gt;767, plus &lt;i&gt;prefix&lt;/i&gt;valid_frac, the fraction of the area that has data.&lt;br&gt;&lt;br&gt;&lt;b&gt;Input&lt;/b&gt;: polygons, or points with a buffer. Any CRS: geometries are transformed to EPSG:4326 (edges densified; polygons across the antimeridian are handled). Use 'Selected features only' to embed a selection.&lt;br&gt;&lt;b&gt;Region&lt;/b&gt;: &lt;i&gt;polygon&lt;/i&gt; pools the product pixels inside each polygon, weighted by their exact covered area in m²; &lt;i&gt;bbox&lt;/i&gt; pools every pixel of the polygon's EPSG:4326 bounding box, grown to at least &lt;i&gt;Expand&lt;/i&gt; degrees (the rs-embed seed's behaviour).&lt;br&gt;&lt;b&gt;Buffer&lt;/b&gt; (metres): half the side of the square around each point. &lt;b&gt;Expand&lt;/b&gt; (degrees): points and bboxes with a side shorter than this get that side; 0 keeps them as they are.&lt;br&gt;&lt;b&gt;Pooling&lt;/b&gt;: mean (area-weighted for polygons) or max, over pixels with data.&lt;br&gt;&lt;br&gt;&lt;b&gt;Limits&lt;/b&gt;: the product has 0.25° pixels (about 28 km at the equator) and only the year 2021. Features over ocean, outside the data file, or without a usable geometry (null, empty, lines) are kept with NULL embeddings and counted in a warning. The data directory is DATA_DIR, else the plugin setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed; it must hold embed_map_310k.tif (get it with 'Download the Copernicus-Embed product').</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="269" />
      <source>All {0} features were embedded.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="351" />
      <location filename="../gui/dock.py" line="455" />
      <source>Applied when you press Enter or leave the field.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="250" />
      <source>Approximate scores from the search index (faster; cosine only)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="217" />
      <source>Area</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="364" />
      <source>Area {0:.2f}, {1:.2f} .. {2:.2f}, {3:.2f}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="311" />
      <source>Area-weighted mean over each selected polygon (points: the buffer above), written to emb_000..emb_767 of the layer as one undoable edit.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="810" />
      <source>Areas above the threshold</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="266" />
      <location filename="../processing/similarity_map.py" line="259" />
      <source>Areas above threshold</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="358" />
      <source>Box {0:.2f}, {1:.2f} .. {2:.2f}, {3:.2f}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="243" />
      <source>Buffer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="97" />
      <source>Buffer around points (metres)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="631" />
      <source>Build the cache ({size})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="629" />
      <source>Build the cache first, or read the product file directly?</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="110" />
      <source>Build the search index if it is missing</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="99" />
      <source>Building the search index (once; one pass over the product)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="124" />
      <source>Building the search index (one pass)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="414" />
      <source>Cancel</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="511" />
      <source>Cancelled.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/base.py" line="138" />
      <source>Cancelled: nothing was written.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="915" />
      <source>Cancelled; nothing was changed.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="845" />
      <source>Cancelling...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="323" />
      <source>Cannot create the folder {0}: {1}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="408" />
      <source>Cannot download {0}: the server answered HTTP {1} ({2}).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="421" />
      <source>Cannot download {0}: unexpected answer (HTTP {1}).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="418" />
      <location filename="../bridge/download.py" line="359" />
      <source>Cannot download {0}: {1}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="373" />
      <source>Cannot download {0}: {1} {2} is kept to resume later.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="214" />
      <source>Cannot write {0}: {1}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="260" />
      <source>Capture on map</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="327" />
      <source>Checking the existing {0}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="597" />
      <source>Checking {path}...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="603" />
      <source>Checking {path}{origin}...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="696" />
      <source>Choose a training layer: points or polygons with a class field.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="703" />
      <source>Choose the class field of the training layer.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="356" />
      <source>Choose the folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="457" />
      <source>Choose the layer whose extent is the scope.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="326" />
      <location filename="../processing/classify.py" line="83" />
      <source>Class field</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="110" />
      <source>Classes</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="738" />
      <source>Classes ({0})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="302" />
      <source>Classification</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="327" />
      <location filename="../processing/classify.py" line="89" />
      <source>Classifier</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="43" />
      <source>Classify embeddings (Copernicus-Embed)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="323" />
      <source>Classify the scope</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="770" />
      <source>Classifying</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="221" />
      <source>Clear</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="180" />
      <source>Click a pixel or drag a rectangle: each becomes a reference, marked on the map.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="542" />
      <source>Click a pixel or drag a rectangle: each becomes a reference.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="74" />
      <source>Click a point on the map.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="222" />
      <source>Click a point: the square of +-buffer around it.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/cluster.py" line="36" />
      <source>Cluster embeddings (k-means, Copernicus-Embed)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="662" />
      <source>Cluster sizes (k = {0})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/cluster.py" line="86" />
      <source>Cluster table</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="295" />
      <source>Cluster the scope</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="659" />
      <location filename="../processing/cluster.py" line="125" />
      <source>Cluster {0}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="674" />
      <source>Clustering</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="289" />
      <source>Clustering (k-means)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="297" />
      <location filename="../processing/cluster.py" line="82" />
      <source>Clusters</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="657" />
      <source>Clusters (k = {0})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="243" />
      <source>Combine</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="79" />
      <source>Combine references</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="783" />
      <source>Compute a similarity map first.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="251" />
      <source>Compute similarity map</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="578" />
      <source>Computing the similarity map</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="113" />
      <source>Confidence</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="740" />
      <source>Confidence ({0})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="119" />
      <source>Confusion matrix</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="537" />
      <source>Confusion matrix (rows = true, columns = predicted):</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="755" />
      <source>Confusion matrix ({0}, accuracy {1:.1%})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="149" />
      <location filename="../gui/controller.py" line="419" />
      <location filename="../gui/dock.py" line="118" />
      <location filename="../processing/base.py" line="95" />
      <source>Copernicus-Embed</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="1010" />
      <source>Copernicus-Embed: download into {folder}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="152" />
      <source>Copernicus-Embed: embeddings of an area, a point or features</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="825" />
      <source>Copernicus-Embed: fast cache</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="836" />
      <source>Copernicus-Embed: remove cache</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="447" />
      <source>Copernicus-Embed: write {n} embeddings</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="732" />
      <source>Copernicus-Embed: {mode} of an area</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="807" />
      <source>Copernicus-Embed: {n} features of {name}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="238" />
      <source>Cosine</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="92" />
      <source>Cosine similarity</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="453" />
      <source>Could not add the field {field}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="287" />
      <source>Could not add the sample to {name}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="502" />
      <source>Could not fill the new layer.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="525" />
      <source>Could not open {path}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="461" />
      <source>Could not write feature {fid}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="522" />
      <source>Could not write {path}: {msg}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="328" />
      <source>Cross-validation folds</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="101" />
      <source>Cross-validation folds (0 = none)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="341" />
      <source>Data and fast cache</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="345" />
      <source>Data directory (folder holding {file})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/base.py" line="81" />
      <source>Data directory (holds embed_map_310k.tif)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="466" />
      <source>Data directory set: {path}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/base.py" line="111" />
      <source>Data directory: {0} (from {1})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="376" />
      <source>Decompress the product once on local disk: every read afterwards is fast.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="379" />
      <source>Delete the fast cache (reads become slower).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="666" />
      <source>Download Copernicus-Embed ({size}) into {folder}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="670" />
      <source>Download Copernicus-Embed into {folder}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/download_product.py" line="67" />
      <source>Download URL</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="73" />
      <location filename="../bridge/download.py" line="355" />
      <source>Download cancelled.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="506" />
      <source>Download cancelled; the partial file is kept and resumes next time.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="353" />
      <source>Download cancelled; {0} is kept to resume later.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="397" />
      <source>Download of {0} failed: {1}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/download_product.py" line="37" />
      <source>Download the Copernicus-Embed product</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="460" />
      <source>Downloaded {0} ({1})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="516" />
      <source>Downloaded {path}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="497" />
      <source>Downloading Copernicus-Embed into {folder}...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="478" />
      <location filename="../processing/download_product.py" line="92" />
      <source>Downloading {0}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/download_product.py" line="40" />
      <source>Downloads the product GeoTIFF {0} (721 x 1440 pixels of 0.25°, 768 float32 bands: about 3.2 GB of uncompressed data) into the folder, through QGIS's network settings (proxy, authentication, SSL).&lt;br&gt;&lt;br&gt;&lt;b&gt;Folder&lt;/b&gt;: where the file goes; by default the plugin's data directory (the plugin setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed), which the other rs_embed algorithms read.&lt;br&gt;&lt;b&gt;Resume&lt;/b&gt;: the transfer is written to {0}.part; an interrupted or cancelled download continues from there the next time (HTTP Range request).&lt;br&gt;&lt;b&gt;Checksum&lt;/b&gt;: the file is checked against its SHA-256 and renamed to {0} only if it matches; a file that does not match is deleted. A verified file already in the folder is kept without downloading.&lt;br&gt;&lt;b&gt;URL&lt;/b&gt; and &lt;b&gt;SHA-256&lt;/b&gt; (advanced): another source of the same file; an empty SHA-256 skips the check.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="74" />
      <location filename="../gui/dock.py" line="220" />
      <source>Drag a rectangle on the map.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="263" />
      <source>Draw one area of the chosen type on the map; the map tool you had comes back once it is taken. Press again to draw the next one.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="153" />
      <source>Embed</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="31" />
      <source>Embed extent as a grid (Copernicus-Embed)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="59" />
      <source>Embed features (Copernicus-Embed)</source>
      <translation>Objekte einbetten (Copernicus-Embed)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="308" />
      <source>Embed selected features</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="132" />
      <source>Embedded features</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="735" />
      <source>Embedding ({mode})...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="59" />
      <source>Embedding grid (768 bands)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="812" />
      <source>Embedding {n} features of {name}...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="239" />
      <location filename="../processing/similarity_map.py" line="92" />
      <source>Euclidean (minus distance)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="116" />
      <source>Expand points and bboxes to at least (degrees)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="258" />
      <source>Expand to</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="55" />
      <source>Expand to at least (degrees)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/download_product.py" line="71" />
      <source>Expected SHA-256 (empty: no check)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="155" />
      <location filename="../gui/explore_panel.py" line="188" />
      <source>Explore</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="54" />
      <source>Extent</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="91" />
      <source>Extent in EPSG:4326: {0}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="693" />
      <source>Fast cache not prepared. It needs {size} in {folder} ({free} free) and makes every read fast; without it reads decompress whole tiles.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="686" />
      <source>Fast cache ready: {folder} ({size} on disk).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="190" />
      <source>Fast search index (cosine)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="286" />
      <source>Feature {0}: {1}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="980" />
      <source>Feature {fid}: {err}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="134" />
      <source>Features embedded</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="136" />
      <source>Features left with NULL embeddings</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="128" />
      <source>Field name prefix</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="281" />
      <source>Find places</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="625" />
      <source>Finding places like this</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="460" />
      <source>Folder holding {file}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/download_product.py" line="60" />
      <source>Folder to download into</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="606" />
      <source>GeoPackage (*.gpkg)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="282" />
      <source>Grid (raster)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="945" />
      <source>Grid of {h} x {w} pixels added ({frac:.0%} with data).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="102" />
      <source>Grid: {0} x {1} pixels, {2:.0%} with data</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/cluster.py" line="40" />
      <source>Groups the land pixels of the scope into k clusters of similar 768-d vectors (k-means with k-means++ seeding and a fixed random seed, Euclidean distance) and writes a categorical UInt16 GeoTIFF: cluster 1 .. k, 0 = ocean (no data), with a colour table.&lt;br&gt;&lt;br&gt;&lt;b&gt;Number of clusters&lt;/b&gt;: 1..254; 0 = automatic: k in {0}..{1} with the best mean silhouette on a sample of {2} pixels.&lt;br&gt;&lt;b&gt;Seed&lt;/b&gt;: the same seed gives the same clusters.&lt;br&gt;&lt;b&gt;Cluster table&lt;/b&gt; (optional): pixels and share of each cluster, and its nearest other cluster with the distance between centroids.&lt;br&gt;</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="239" />
      <source>Half the side of the square area around the point.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="255" />
      <source>Hide below</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="90" />
      <source>Input layer (polygons or points)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="308" />
      <source>Its data provider cannot add fields.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="306" />
      <source>Its data provider cannot change attribute values.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="189" />
      <source>Layer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="92" />
      <source>Logistic regression</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="179" />
      <source>Map extent</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="233" />
      <source>Max over references</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="83" />
      <source>Maximum over references</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="233" />
      <location filename="../processing/similarity_map.py" line="81" />
      <source>Mean vector</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="233" />
      <location filename="../processing/similarity_map.py" line="82" />
      <source>Medoid</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="244" />
      <location filename="../processing/similarity_map.py" line="91" />
      <source>Metric</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="284" />
      <source>Min. distance</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="78" />
      <source>Minimum distance between places (km)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="91" />
      <source>Nearest centroid (cosine)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="592" />
      <source>New GeoPackage...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="591" />
      <source>New memory layer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/download_product.py" line="91" />
      <source>No SHA-256 given: the file will not be verified.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="608" />
      <source>No data directory chosen yet.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="823" />
      <location filename="../gui/controller.py" line="834" />
      <source>No product file in the data directory.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="859" />
      <source>No samples yet: capture a pooled embedding first.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="305" />
      <location filename="../gui/dock.py" line="566" />
      <source>No vector layer is active.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="715" />
      <source>No {file} found; looked in {places}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="264" />
      <source>Not enough free disk space in {0}: {1} needed, {2} free.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="453" />
      <source>Not used: {reason}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="792" />
      <location filename="../gui/controller.py" line="775" />
      <location filename="../gui/controller.py" line="782" />
      <source>Nothing was written.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="787" />
      <source>Nothing was written: the existing embeddings were kept.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="283" />
      <source>Number</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/cluster.py" line="64" />
      <source>Number of clusters (0 = automatic)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="68" />
      <source>Number of places</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="283" />
      <source>One vector per area, into the samples table.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="569" />
      <source>Overwrite embeddings?</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="65" />
      <source>PCA RGB rendering</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="145" />
      <source>PCA colours {time}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="272" />
      <location filename="../gui/explore_panel.py" line="616" />
      <location filename="../processing/similar_places.py" line="88" />
      <source>Places like this</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="37" />
      <source>Places like this (Copernicus-Embed)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="221" />
      <source>Point + buffer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="350" />
      <source>Point {0:.3f}, {1:.3f}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="281" />
      <source>Pooled vector</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="294" />
      <location filename="../processing/embed_features.py" line="105" />
      <source>Pooling</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="374" />
      <source>Prepare fast cache</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="622" />
      <source>Prepare the fast cache?</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="826" />
      <source>Preparing the fast cache...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/download_product.py" line="78" />
      <source>Product file</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/download_product.py" line="105" />
      <source>Product file: {0}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="149" />
      <source>QGIS could not open {path}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="93" />
      <source>Random forest (needs scikit-learn)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/cluster.py" line="75" />
      <source>Random seed</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="634" />
      <source>Read directly</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="142" />
      <source>Reading {0} with the {1} reader</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="405" />
      <source>Ready.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="219" />
      <source>Rectangle</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="73" />
      <source>Reference extent</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="66" />
      <source>Reference features (points or polygons)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="211" />
      <source>References</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="111" />
      <source>Region pooled for polygons</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="219" />
      <source>Remove</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="378" />
      <source>Remove cache</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="837" />
      <source>Removing the fast cache...</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="279" />
      <source>Result</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="343" />
      <source>Resuming {0} at {1}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="370" />
      <source>Resuming.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="186" />
      <source>Right-click the map while a Copernicus-Embed tool is active: a similarity map of the map extent to the pixel clicked.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="956" />
      <source>Sample added to {name} ({frac:.0%} of the area has data).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="297" />
      <source>Samples table</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="606" />
      <source>Save embeddings as</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="976" />
      <source>Save the layer's edits to keep them, or undo.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="175" />
      <source>Scope</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="101" />
      <source>Scope (empty = whole product)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="160" />
      <source>Scope in EPSG:4326: {0}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="153" />
      <source>Scope: the whole product file</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="304" />
      <source>Scores from the search index: approximate, each within {0:.3g}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="129" />
      <source>Search index: {0}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="759" />
      <source>Select features of a polygon or point layer first.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="381" />
      <source>Select point or polygon features in a vector layer first.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="303" />
      <source>Selected features</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="249" />
      <location filename="../processing/similarity_map.py" line="254" />
      <source>Similarity map</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="207" />
      <source>Similarity map (Copernicus-Embed)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="573" />
      <source>Similarity map ready: {0:.3f} .. {1:.3f}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="567" />
      <source>Similarity {0} ({1})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="794" />
      <source>Similarity ≥ {0:.3f}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="362" />
      <source>Starting from the beginning.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="319" />
      <source>Store as</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="568" />
      <location filename="../gui/controller.py" line="598" />
      <source>That point has no longitude/latitude.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="445" />
      <source>The download has {0} bytes instead of {1}; it was deleted.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="489" />
      <source>The download is not available in this version of the plugin.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="454" />
      <source>The download's SHA-256 is {0}, not {1}; the file was deleted.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="681" />
      <source>The fast cache cannot be used: {err}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="987" />
      <source>The fast cache could not be built ({err}); read directly.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="814" />
      <source>The fast cache is built first.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="929" />
      <source>The fast cache is ready.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="932" />
      <source>The fast cache was removed.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="170" />
      <source>The field prefix {0!r} is not usable: use up to 21 letters, digits or underscores, starting with a letter or underscore.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="249" />
      <source>The file on the server has {0} bytes instead of {1}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="714" />
      <source>The folder {folder} does not exist.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="191" />
      <source>The input already has {0} fields named {1}*; they are replaced.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="300" />
      <source>The layer is not valid.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="302" />
      <source>The layer is read-only.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="549" />
      <source>The layer of the batch was removed from the project.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="405" />
      <source>The partial file does not fit the file on the server.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="255" />
      <source>The server does not resume downloads: starting from the beginning.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="232" />
      <source>The server sent another byte range than asked ({0}).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="636" />
      <source>The setting was not changed.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="841" />
      <source>The similarity layer was removed: compute a new one to use the threshold.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="89" />
      <source>The task stopped without a result.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="417" />
      <source>The transfer broke off: {0}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="425" />
      <source>The transfer ended at {0} of {1}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="243" />
      <source>Threshold for the areas</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="77" />
      <source>Training features (points or polygons)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="325" />
      <source>Training layer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="350" />
      <source>Type a folder and press Enter, or browse</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/base.py" line="151" />
      <source>Unexpected {0}: {1} (details in the log panel, tab rs_embed).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="92" />
      <source>Unexpected {kind}: {msg} (details in the log panel, rs_embed).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="85" />
      <source>Use the search index when there is one</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="648" />
      <source>Using &lt;b&gt;{file}&lt;/b&gt;{origin}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="181" />
      <source>Whole globe</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="584" />
      <source>Write embeddings to a new layer?</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="589" />
      <source>Write the selected features with their fields and emb_000..emb_767 to a new layer?</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="34" />
      <source>Writes the Copernicus-Embed pixels (year 2021) of an extent as a GeoTIFF of 768 float32 bands named emb_000 .. emb_767, in EPSG:4326 on the product's own grid (0.25° pixels, about 28 km at the equator; edges at -180.125 + 0.25 k and 90.125 - 0.25 k). Ocean pixels are all zeros.&lt;br&gt;&lt;br&gt;&lt;b&gt;Extent&lt;/b&gt;: any CRS; its boundary is densified before the transform to EPSG:4326, so UTM and polar rectangles get the right box. An extent across the antimeridian gives a grid whose longitudes run past 180; one holding a pole covers every longitude. An extent without a CRS is read as EPSG:4326.&lt;br&gt;&lt;b&gt;Expand&lt;/b&gt; (degrees): a side shorter than this is grown to it around its centre; 0 keeps the extent as it is. The box is then snapped outward to whole product pixels.&lt;br&gt;&lt;b&gt;PCA RGB&lt;/b&gt; (optional): a 4-band RGBA GeoTIFF of the first three principal components of the vectors, 2-98 % stretched; ocean is transparent.&lt;br&gt;&lt;br&gt;&lt;b&gt;Limits&lt;/b&gt;: a grid over 2 GB (about 700 000 pixels) is refused; the data directory is DATA_DIR, else the plugin setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="120" />
      <source>Year</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="163" />
      <source>Year {0} is not available: Copernicus-Embed has only {1}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="133" />
      <source>Year: &lt;b&gt;{year}&lt;/b&gt; (the only year of the product)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="294" />
      <source>auto</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="253" />
      <source>expand_deg: a side of the area shorter than this many degrees is grown to it around its centre (0 reads exactly the pixels under the area).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/cluster.py" line="119" />
      <source>k = {0}: silhouette {1:.3f}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/cluster.py" line="121" />
      <source>k = {0}; {1} land pixels (fitted on {2}); inertia {3:.6g}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="414" />
      <source>no data for too long (network timeout)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="322" />
      <location filename="../processing/similarity_map.py" line="130" />
      <source>none</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="324" />
      <source>one JSON field</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/provider.py" line="20" />
      <source>rs_embed (Copernicus-Embed)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/provider.py" line="23" />
      <source>rs_embed: Copernicus-Embed precomputed Earth embeddings</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="130" />
      <source>used</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/tasks.py" line="83" />
      <source>{0} (cancelled)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="325" />
      <source>{0} areas at or above {1}: {2:.0f} km² in all</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="806" />
      <source>{0} areas, {1:,.0f} km² in all</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="746" />
      <source>{0} classes from {1} training pixels</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="177" />
      <source>{0} classes, {1} training pixels, classifier {2}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="668" />
      <source>{0} clusters; their sizes and distances are in the table {1!r}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="333" />
      <source>{0} does not match the checksum: downloading it again.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="394" />
      <source>{0} feature {1}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="208" />
      <source>{0} features, region {1}, pooling {2}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="380" />
      <source>{0} is already complete.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="330" />
      <source>{0} is already present and verified.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="298" />
      <source>{0} land pixels scored; {1} from {2:.4f} to {3:.4f}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="287" />
      <source>{0} of {1} ({2:.0%}), {3}/s</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="272" />
      <source>{0} of {1} features are kept with NULL embeddings: {2} without geometry (null or empty), {3} without data (ocean, or outside the data file), {4} with an unusable geometry.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="130" />
      <source>{0} places (asked for {1})</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="623" />
      <source>{0} places found</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="186" />
      <source>{0} reference(s)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../processing/classify.py" line="141" />
      <source>{0} training feature(s) without a class were skipped</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/download.py" line="292" />
      <source>{0}, {1}/s</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="534" />
      <source>{0}-fold cross-validated accuracy (held out by {1}): {2:.1%}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="708" />
      <source>{file} cannot be used: {err}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="710" />
      <source>{folder} cannot be read: {err}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="992" />
      <source>{k} without a value (each reason in the log panel, rs_embed), e.g.: {err}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="570" />
      <source>{name} already has {n} embedding fields ({first}...). Overwrite their values for the selected features?</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="446" />
      <source>{name} cannot be edited.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="586" />
      <source>{name} cannot hold 768 more fields: {reason}</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="485" />
      <source>{name} embeddings</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="569" />
      <source>{name}: only polygon and point layers can be embedded.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/dock.py" line="573" />
      <source>{name}: {n} selected feature(s).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="624" />
      <source>{n} features: reading them is much faster with the fast cache, which needs {size} in {folder} and takes a while to build once.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/controller.py" line="972" />
      <source>{ok} of {n} features embedded into {name}.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="312" />
      <source>{storage} holds at most {limit} fields; the layer has {have} and needs {new} more.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <location filename="../gui/layers.py" line="143" />
      <source>{year} grid {time}</source>
      <translation type="unfinished" />
    </message>
  </context>
</TS>
