<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
  <context>
    <name>RsEmbed</name>
    <message>
      <location filename="../gui/dock.py" line="757" />
      <source> (from the environment variable {env})</source>
      <translation> (aus der Umgebungsvariable {env})</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="411" />
      <source> (process {0} on {1})</source>
      <translation> (Prozess {0} auf {1})</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="755" />
      <source> (saved setting)</source>
      <translation> (gespeicherte Einstellung)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="758" />
      <source> (the default folder, relative to the working directory)</source>
      <translation> (der Standardordner, relativ zum Arbeitsverzeichnis)</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="410" />
      <source> ({0} exists; delete it if no download is running)</source>
      <translation> ({0} existiert; löschen Sie es, wenn kein Download läuft)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="749" />
      <source> and </source>
      <translation> und </translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="73" />
      <source>&amp;Copernicus-Embed</source>
      <translation>&amp;Copernicus-Embed</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="605" />
      <source>(search index: each score within {0:.1g})</source>
      <translation>(Suchindex: jeder Wert auf {0:.1g} genau)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="808" />
      <source>. {asked} folds were asked; {got} were used because the smallest class has only {got} training pixels (each fold needs one of every class)</source>
      <translation>. {asked} Folds wurden angefordert; {got} wurden verwendet, weil die kleinste Klasse nur {got} Trainingspixel hat (jeder Fold braucht eines jeder Klasse)</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="291" />
      <source>... and {0} more.</source>
      <translation>... und {0} weitere.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="850" />
      <source>1 area, {km:,.0f} km²</source>
      <translation>1 Gebiet, {km:,.0f} km²</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="656" />
      <source>1 place found</source>
      <translation>1 Ort gefunden</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="151" />
      <source>768 bands {time}</source>
      <translation>768 Bänder {time}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="344" />
      <source>768 fields</source>
      <translation>768 Felder</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="347" />
      <source>768 fields: emb_000..emb_767, one number each (hidden in the attribute table). One JSON field: emb_json holds the whole vector as JSON array text, for Python or ML tools; fast to write, save and undo.</source>
      <translation>768 Felder: emb_000..emb_767, je eine Zahl (in der Attributtabelle ausgeblendet). Ein JSON-Feld: emb_json enthält den ganzen Vektor als JSON-Array-Text, für Python- oder ML-Werkzeuge; schnell zu schreiben, zu speichern und rückgängig zu machen.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="790" />
      <source>; {0} feature(s) without a class skipped</source>
      <translation>; {0} Objekt(e) ohne Klasse übersprungen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="803" />
      <source>; {0}-fold cross-validated accuracy {1:.1%} (confusion matrix: table {2!r} and the log)</source>
      <translation>; {0}-fach kreuzvalidierte Genauigkeit {1:.1%} (Konfusionsmatrix: Tabelle {2!r} und das Protokoll)</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="253" />
      <source>&lt;b&gt;Areas above threshold&lt;/b&gt; (optional): the 4-connected groups of pixels scoring at or above the threshold, as polygons (EPSG:4326) with their exact area on the WGS84 ellipsoid in km² and their pixel count.</source>
      <translation>&lt;b&gt;Gebiete über dem Schwellenwert&lt;/b&gt; (optional): die 4-zusammenhängenden Gruppen von Pixeln mit einem Wert ab dem Schwellenwert, als Polygone (EPSG:4326) mit ihrer exakten Fläche auf dem WGS84-Ellipsoid in km² und ihrer Pixelzahl.</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="49" />
      <source>&lt;b&gt;Combine&lt;/b&gt; and &lt;b&gt;Metric&lt;/b&gt;: as in the similarity map (Euclidean similarity is minus the distance).&lt;br&gt;&lt;b&gt;Minimum distance&lt;/b&gt; (km): each result is at least this far (great circle between pixel centres, mean Earth radius 6371 km) from every better one; 0 allows neighbouring pixels. The reference pixels themselves may be among the results.</source>
      <translation>&lt;b&gt;Kombinieren&lt;/b&gt; und &lt;b&gt;Metrik&lt;/b&gt;: wie bei der Ähnlichkeitskarte (die euklidische Ähnlichkeit ist der negative Abstand).&lt;br&gt;&lt;b&gt;Mindestabstand&lt;/b&gt; (km): Jedes Ergebnis liegt mindestens so weit (Großkreis zwischen den Pixelmittelpunkten, mittlerer Erdradius 6371 km) von jedem besseren entfernt; 0 erlaubt benachbarte Pixel. Die Referenzpixel selbst können unter den Ergebnissen sein.</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="243" />
      <source>&lt;b&gt;Combine&lt;/b&gt;: the mean of the reference vectors; their medoid (the reference most similar to the others); or, per pixel, the maximum of the scores over the references.&lt;br&gt;&lt;b&gt;Metric&lt;/b&gt;: cosine similarity (-1..1, 1 = same direction), or Euclidean, written as &lt;i&gt;minus&lt;/i&gt; the distance (≤ 0, 0 = identical) so that higher always means more similar.</source>
      <translation>&lt;b&gt;Kombinieren&lt;/b&gt;: der Mittelwert der Referenzvektoren; ihr Medoid (die Referenz, die den anderen am ähnlichsten ist); oder, je Pixel, das Maximum der Werte über die Referenzen.&lt;br&gt;&lt;b&gt;Metrik&lt;/b&gt;: Kosinus-Ähnlichkeit (-1..1, 1 = gleiche Richtung) oder euklidisch, geschrieben als &lt;i&gt;negativer&lt;/i&gt; Abstand (≤ 0, 0 = identisch), damit ein höherer Wert immer ähnlicher bedeutet.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="144" />
      <source>&lt;b&gt;Copernicus-Embed&lt;/b&gt; precomputed embeddings: 768 dimensions, 0.25° pixels</source>
      <translation>&lt;b&gt;Copernicus-Embed&lt;/b&gt;: vorberechnete Einbettungen, 768 Dimensionen, Pixel von 0,25°</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="66" />
      <source>&lt;b&gt;Limits&lt;/b&gt;: at least two classes, each with at least two training pixels on land; training features over ocean are ignored; training pixels must fit in memory (about 500 000 pixels).</source>
      <translation>&lt;b&gt;Grenzen&lt;/b&gt;: mindestens zwei Klassen mit je mindestens zwei Trainingspixeln an Land; Trainingsobjekte über dem Meer werden ignoriert; die Trainingspixel müssen in den Arbeitsspeicher passen (etwa 500 000 Pixel).</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="70" />
      <source>&lt;b&gt;Limits&lt;/b&gt;: k is 1..10000; the scores are exact (every pixel of the scope is scored on its full vector); fewer than k points are returned when the scope holds fewer places far enough apart.</source>
      <translation>&lt;b&gt;Grenzen&lt;/b&gt;: k ist 1..10000; die Werte sind exakt (jedes Pixel des Bereichs wird mit seinem vollen Vektor bewertet); weniger als k Punkte werden geliefert, wenn der Bereich weniger ausreichend weit auseinanderliegende Orte enthält.</translation>
    </message>
    <message>
      <location filename="../processing/cluster.py" line="57" />
      <source>&lt;b&gt;Limits&lt;/b&gt;: scopes over {0} land pixels are fitted on a fixed-seed sample of that many pixels (about 0.5 degrees apart on average over the whole globe); every pixel is then assigned to its nearest centroid. k larger than the land pixels is refused.</source>
      <translation>&lt;b&gt;Grenzen&lt;/b&gt;: Bereiche mit mehr als {0} Landpixeln werden an einer Stichprobe mit festem Startwert aus ebenso vielen Pixeln angepasst (über den ganzen Globus im Mittel etwa 0,5 Grad auseinander); danach wird jedes Pixel seinem nächsten Zentroid zugeordnet. Ein k größer als die Zahl der Landpixel wird abgelehnt.</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="272" />
      <source>&lt;b&gt;Limits&lt;/b&gt;: the whole globe (721 x 1440 pixels, 4 MB of scores) is allowed; the product file is read in full for it (3.2 GB, faster once the plugin's cache is prepared).</source>
      <translation>&lt;b&gt;Grenzen&lt;/b&gt;: Der ganze Globus (721 x 1440 Pixel, 4 MB an Werten) ist erlaubt; die Produktdatei wird dafür vollständig gelesen (3,2 GB, schneller, sobald der Cache des Plugins vorbereitet ist).</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="56" />
      <source>&lt;b&gt;References&lt;/b&gt;: point features (the pixel under each point) and/or polygon features (the exact area-weighted mean of the cells they cover; selected features only when the layer has a selection and 'selected features only' is ticked), and/or a reference extent (its area-weighted mean). References over ocean are refused.</source>
      <translation>&lt;b&gt;Referenzen&lt;/b&gt;: Punktobjekte (das Pixel unter jedem Punkt) und/oder Polygonobjekte (der exakte flächengewichtete Mittelwert der Zellen, die sie bedecken; nur gewählte Objekte, wenn der Layer eine Auswahl hat und 'Nur gewählte Objekte' angehakt ist) und/oder eine Referenzausdehnung (ihr flächengewichteter Mittelwert). Referenzen über dem Meer werden abgelehnt.</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="48" />
      <source>&lt;b&gt;Scope&lt;/b&gt;: the extent to map (any CRS); empty = the whole product file (the globe). It is snapped outward to whole 0.25° pixels and read in blocks of at most 256 MB.</source>
      <translation>&lt;b&gt;Bereich&lt;/b&gt;: die zu kartierende Ausdehnung (beliebiges KBS); leer = die ganze Produktdatei (der Globus). Sie wird nach außen auf ganze 0,25°-Pixel ausgerichtet und in Blöcken von höchstens 256 MB gelesen.</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="60" />
      <source>&lt;b&gt;Search index&lt;/b&gt; (cosine only): a compact copy of the product (64 components per pixel, float16, about 140 MB for the globe, kept beside the cache) ranks the candidates, and only they are re-scored on their full vectors; error bounds make the result the same exact top-k. 'Build the index' makes it once (one pass over the product) when it is missing.</source>
      <translation>&lt;b&gt;Suchindex&lt;/b&gt; (nur Kosinus): Eine kompakte Kopie des Produkts (64 Komponenten je Pixel, float16, etwa 140 MB für den Globus, neben dem Cache abgelegt) ordnet die Kandidaten, und nur diese werden mit ihren vollen Vektoren neu bewertet; Fehlerschranken sorgen dafür, dass das Ergebnis dieselben exakten Top-k sind. 'Suchindex erstellen, wenn er fehlt' erzeugt ihn einmalig (ein Durchgang über das Produkt), wenn er fehlt.</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="261" />
      <source>&lt;b&gt;Search index&lt;/b&gt; (cosine only, off by default): with it the scores are read from a compact copy of the product (64 components per pixel, float16, about 140 MB for the globe, kept beside the cache) instead of the full vectors: much faster on large scopes when the product is not in memory, but &lt;i&gt;approximate&lt;/i&gt;, each score within a guaranteed error bound that the log states (about 5e-4) and the raster's metadata keeps. Off, every score is exact.</source>
      <translation>&lt;b&gt;Suchindex&lt;/b&gt; (nur Kosinus, standardmäßig aus): Damit werden die Werte aus einer kompakten Kopie des Produkts gelesen (64 Komponenten je Pixel, float16, etwa 140 MB für den Globus, neben dem Cache abgelegt) statt aus den vollen Vektoren: viel schneller bei großen Bereichen, wenn das Produkt nicht im Arbeitsspeicher liegt, aber &lt;i&gt;näherungsweise&lt;/i&gt;, jeder Wert innerhalb einer garantierten Fehlerschranke, die das Protokoll nennt (etwa 5e-4) und die Metadaten des Rasters festhalten. Ohne Suchindex ist jeder Wert exakt.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="879" />
      <source>A batch is already running; cancel it or wait.</source>
      <translation>Eine Stapelverarbeitung läuft bereits; brechen Sie sie ab oder warten Sie.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="199" />
      <source>A compact copy of the product (64 components per pixel, about 140 MB beside the cache), built once in a task the first time (one pass over the product). Places stay exact; similarity maps become approximate, each score within a stated bound (about 5e-4), and much faster on large scopes.</source>
      <translation>Eine kompakte Kopie des Produkts (64 Komponenten je Pixel, etwa 140 MB neben dem Cache), beim ersten Mal einmalig in einer Aufgabe erstellt (ein Durchgang über das Produkt). Orte bleiben exakt; Ähnlichkeitskarten werden näherungsweise, jeder Wert innerhalb einer genannten Schranke (etwa 5e-4), und viel schneller bei großen Bereichen.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="602" />
      <source>A download is already running.</source>
      <translation>Ein Download läuft bereits.</translation>
    </message>
    <message>
      <location filename="../processing/base.py" line="216" />
      <source>A file could not be read or written: {0}</source>
      <translation>Eine Datei konnte nicht gelesen oder geschrieben werden: {0}</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="187" />
      <source>A layer's extent</source>
      <translation>Ausdehnung eines Layers</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="425" />
      <source>A point needs a buffer in metres (buffer_m) to define its area.</source>
      <translation>Ein Punkt braucht einen Puffer in Metern (buffer_m), um sein Gebiet festzulegen.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="305" />
      <source>A raster layer: 768 bands and PCA colours.</source>
      <translation>Ein Rasterlayer: 768 Bänder und PCA-Farben.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="292" />
      <source>A reference is the most similar place to itself: left out, the list starts with the best place you do not know yet.</source>
      <translation>Eine Referenz ist sich selbst der ähnlichste Ort: Ohne die Referenzen beginnt die Liste mit dem besten Ort, den Sie noch nicht kennen.</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="182" />
      <source>A shapefile cannot hold the {0} embedding fields (dBase allows 255 fields of 10 characters). Save the output as a GeoPackage (.gpkg) instead.</source>
      <translation>Ein Shapefile kann die {0} Einbettungsfelder nicht aufnehmen (dBase erlaubt 255 Felder mit 10 Zeichen). Speichern Sie die Ausgabe stattdessen als GeoPackage (.gpkg).</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="564" />
      <location filename="../gui/explore_panel.py" line="617" />
      <source>Add at least one reference first.</source>
      <translation>Fügen Sie zuerst mindestens eine Referenz hinzu.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="192" />
      <source>Add references on the map</source>
      <translation>Referenzen auf der Karte hinzufügen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="224" />
      <source>Add selected features</source>
      <translation>Gewählte Objekte hinzufügen</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="62" />
      <source>Adds the Copernicus-Embed embedding (768 numbers, year 2021) of every feature as fields &lt;i&gt;prefix&lt;/i&gt;000 .. &lt;i&gt;prefix&lt;/i&gt;767, plus &lt;i&gt;prefix&lt;/i&gt;valid_frac, the fraction of the area that has data.&lt;br&gt;&lt;br&gt;&lt;b&gt;Input&lt;/b&gt;: polygons, or points with a buffer. Any CRS: geometries are transformed to EPSG:4326 (edges densified; polygons across the antimeridian are handled). Use 'Selected features only' to embed a selection.&lt;br&gt;&lt;b&gt;Region&lt;/b&gt;: &lt;i&gt;polygon&lt;/i&gt; pools the product pixels inside each polygon, weighted by their exact covered area in m²; &lt;i&gt;bbox&lt;/i&gt; pools every pixel of the polygon's EPSG:4326 bounding box, grown to at least &lt;i&gt;Expand&lt;/i&gt; degrees (the rs-embed seed's behaviour).&lt;br&gt;&lt;b&gt;Buffer&lt;/b&gt; (metres): half the side of the square around each point. &lt;b&gt;Expand&lt;/b&gt; (degrees): points and bboxes with a side shorter than this get that side; 0 keeps them as they are.&lt;br&gt;&lt;b&gt;Pooling&lt;/b&gt;: mean (area-weighted for polygons) or max, over pixels with data.&lt;br&gt;&lt;br&gt;&lt;b&gt;Limits&lt;/b&gt;: the product has 0.25° pixels (about 28 km at the equator) and only the year 2021. Features over ocean, outside the data file, or without a usable geometry (null, empty, lines) are kept with NULL embeddings and counted in a warning. The data directory is DATA_DIR, else the plugin setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed; it must hold embed_map_310k.tif (get it with 'Download the Copernicus-Embed product').</source>
      <translation>Fügt jedem Objekt die Copernicus-Embed-Einbettung (768 Zahlen, Jahr 2021) als Felder &lt;i&gt;Präfix&lt;/i&gt;000 .. &lt;i&gt;Präfix&lt;/i&gt;767 hinzu, dazu &lt;i&gt;Präfix&lt;/i&gt;valid_frac, den Anteil der Fläche mit Daten.&lt;br&gt;&lt;br&gt;&lt;b&gt;Eingabe&lt;/b&gt;: Polygone oder Punkte mit Puffer. Beliebiges KBS: Geometrien werden nach EPSG:4326 transformiert (Kanten verdichtet; Polygone über den Antimeridian werden berücksichtigt). Mit 'Nur gewählte Objekte' wird eine Auswahl eingebettet.&lt;br&gt;&lt;b&gt;Region&lt;/b&gt;: &lt;i&gt;polygon&lt;/i&gt; aggregiert die Produktpixel innerhalb jedes Polygons, gewichtet mit ihrer exakt bedeckten Fläche in m²; &lt;i&gt;bbox&lt;/i&gt; aggregiert jedes Pixel des EPSG:4326-Umgebungsrechtecks des Polygons, vergrößert auf mindestens &lt;i&gt;Erweitern&lt;/i&gt; Grad (das Verhalten des rs-embed-Originals).&lt;br&gt;&lt;b&gt;Puffer&lt;/b&gt; (Meter): die halbe Seitenlänge des Quadrats um jeden Punkt. &lt;b&gt;Erweitern&lt;/b&gt; (Grad): Punkte und Umgebungsrechtecke mit einer kürzeren Seite bekommen diese Seitenlänge; 0 lässt sie, wie sie sind.&lt;br&gt;&lt;b&gt;Aggregation&lt;/b&gt;: Mittelwert (für Polygone flächengewichtet) oder Maximum über die Pixel mit Daten.&lt;br&gt;&lt;br&gt;&lt;b&gt;Grenzen&lt;/b&gt;: Das Produkt hat Pixel von 0,25° (etwa 28 km am Äquator) und nur das Jahr 2021. Objekte über dem Meer, außerhalb der Datendatei oder ohne brauchbare Geometrie (NULL, leer, Linien) werden mit NULL-Einbettungen behalten und in einer Warnung gezählt. Das Datenverzeichnis ist DATA_DIR, sonst die Plugin-Einstellung, sonst $RS_EMBED_COP_DIR, sonst data/copernicus_embed; es muss embed_map_310k.tif enthalten (zu holen mit 'Copernicus-Embed-Produkt herunterladen').</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="272" />
      <source>All {0} features were embedded.</source>
      <translation>Alle {0} Objekte wurden eingebettet.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="468" />
      <source>An open form of {name} could not be reloaded: {err}</source>
      <translation>Ein geöffnetes Formular von {name} konnte nicht neu geladen werden: {err}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="364" />
      <source>Another download into {0} is running{1}; wait until it ends, or cancel it.</source>
      <translation>Ein anderer Download nach {0} läuft{1}; warten Sie, bis er endet, oder brechen Sie ihn ab.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="372" />
      <location filename="../gui/dock.py" line="479" />
      <source>Applied when you press Enter or leave the field.</source>
      <translation>Wird übernommen, wenn Sie Enter drücken oder das Feld verlassen.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="233" />
      <source>Area</source>
      <translation>Gebiet</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="381" />
      <source>Area {0:.2f}, {1:.2f} .. {2:.2f}, {3:.2f}</source>
      <translation>Gebiet {0:.2f}, {1:.2f} .. {2:.2f}, {3:.2f}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="332" />
      <source>Area-weighted mean over each selected polygon (points: the buffer above), written to emb_000..emb_767 of the layer as one undoable edit.</source>
      <translation>Flächengewichteter Mittelwert über jedes gewählte Polygon (Punkte: der Puffer oben), geschrieben in emb_000..emb_767 des Layers als ein rückgängig machbarer Bearbeitungsschritt.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="856" />
      <source>Areas above the threshold</source>
      <translation>Gebiete über dem Schwellenwert</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="273" />
      <location filename="../processing/similarity_map.py" line="299" />
      <source>Areas above threshold</source>
      <translation>Gebiete über Schwellenwert</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="375" />
      <source>Box {0:.2f}, {1:.2f} .. {2:.2f}, {3:.2f}</source>
      <translation>Rechteck {0:.2f}, {1:.2f} .. {2:.2f}, {3:.2f}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="264" />
      <source>Buffer</source>
      <translation>Puffer</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="97" />
      <source>Buffer around points (metres)</source>
      <translation>Puffer um Punkte (Meter)</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="738" />
      <source>Build the cache ({size})</source>
      <translation>Cache erstellen ({size})</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="736" />
      <source>Build the cache first, or read the product file directly?</source>
      <translation>Zuerst den Cache erstellen oder die Produktdatei direkt lesen?</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="124" />
      <source>Build the search index if it is missing</source>
      <translation>Suchindex erstellen, wenn er fehlt</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="102" />
      <source>Building the search index (once; one pass over the product)</source>
      <translation>Suchindex wird erstellt (einmalig; ein Durchgang über das Produkt)</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="142" />
      <source>Building the search index (one pass)</source>
      <translation>Suchindex wird erstellt (ein Durchgang)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="435" />
      <source>Cancel</source>
      <translation>Abbrechen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="540" />
      <source>Cancelled.</source>
      <translation>Abgebrochen.</translation>
    </message>
    <message>
      <location filename="../processing/base.py" line="211" />
      <source>Cancelled: nothing was written.</source>
      <translation>Abgebrochen: Nichts wurde geschrieben.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1055" />
      <source>Cancelled; nothing was changed.</source>
      <translation>Abgebrochen; nichts wurde geändert.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="983" />
      <source>Cancelling...</source>
      <translation>Wird abgebrochen...</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="473" />
      <source>Cannot create the folder {0}: {1}</source>
      <translation>Der Ordner {0} kann nicht angelegt werden: {1}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="605" />
      <source>Cannot download {0}: the server answered HTTP {1} ({2}).</source>
      <translation>{0} kann nicht heruntergeladen werden: Der Server antwortete mit HTTP {1} ({2}).</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="618" />
      <source>Cannot download {0}: unexpected answer (HTTP {1}).</source>
      <translation>{0} kann nicht heruntergeladen werden: unerwartete Antwort (HTTP {1}).</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="615" />
      <location filename="../bridge/download.py" line="550" />
      <source>Cannot download {0}: {1}</source>
      <translation>{0} kann nicht heruntergeladen werden: {1}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="563" />
      <source>Cannot download {0}: {1} {2} is kept to resume later.</source>
      <translation>{0} kann nicht heruntergeladen werden: {1} {2} wird behalten, um später fortzusetzen.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="382" />
      <source>Cannot write into the folder {0}: {1}</source>
      <translation>In den Ordner {0} kann nicht geschrieben werden: {1}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="234" />
      <source>Cannot write {0}: {1}</source>
      <translation>{0} kann nicht geschrieben werden: {1}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="281" />
      <source>Capture on map</source>
      <translation>Auf der Karte erfassen</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="506" />
      <source>Checking the existing {0}</source>
      <translation>Vorhandene Datei {0} wird geprüft</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="627" />
      <source>Checking {path}...</source>
      <translation>{path} wird geprüft...</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="633" />
      <source>Checking {path}{origin}...</source>
      <translation>{path}{origin} wird geprüft...</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="736" />
      <source>Choose a training layer: points or polygons with a class field.</source>
      <translation>Wählen Sie einen Trainingslayer: Punkte oder Polygone mit einem Klassenfeld.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="743" />
      <source>Choose the class field of the training layer.</source>
      <translation>Wählen Sie das Klassenfeld des Trainingslayers.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="377" />
      <source>Choose the folder</source>
      <translation>Ordner wählen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="484" />
      <source>Choose the layer whose extent is the scope.</source>
      <translation>Wählen Sie den Layer, dessen Ausdehnung der Bereich ist.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="343" />
      <location filename="../processing/classify.py" line="83" />
      <source>Class field</source>
      <translation>Klassenfeld</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="110" />
      <source>Classes</source>
      <translation>Klassen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="780" />
      <source>Classes ({0})</source>
      <translation>Klassen ({0})</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="319" />
      <source>Classification</source>
      <translation>Klassifikation</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="344" />
      <location filename="../processing/classify.py" line="89" />
      <source>Classifier</source>
      <translation>Klassifikator</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="43" />
      <source>Classify embeddings (Copernicus-Embed)</source>
      <translation>Einbettungen klassifizieren (Copernicus-Embed)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="340" />
      <source>Classify the scope</source>
      <translation>Bereich klassifizieren</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="814" />
      <source>Classifying</source>
      <translation>Klassifikation läuft</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="228" />
      <source>Clear</source>
      <translation>Leeren</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="196" />
      <source>Click a pixel or drag a rectangle: each becomes a reference, marked on the map.</source>
      <translation>Klicken Sie auf ein Pixel oder ziehen Sie ein Rechteck auf: Jedes wird eine Referenz, auf der Karte markiert.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="656" />
      <source>Click a pixel or drag a rectangle: each becomes a reference.</source>
      <translation>Klicken Sie auf ein Pixel oder ziehen Sie ein Rechteck auf: Jedes wird eine Referenz.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="78" />
      <source>Click a point on the map.</source>
      <translation>Klicken Sie auf einen Punkt in der Karte.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="238" />
      <source>Click a point: the square of +-buffer around it.</source>
      <translation>Klicken Sie auf einen Punkt: das Quadrat von ±Puffer um ihn herum.</translation>
    </message>
    <message>
      <location filename="../processing/cluster.py" line="36" />
      <source>Cluster embeddings (k-means, Copernicus-Embed)</source>
      <translation>Einbettungen clustern (k-means, Copernicus-Embed)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="700" />
      <source>Cluster sizes (k = {k}, {scope})</source>
      <translation>Clustergrößen (k = {k}, {scope})</translation>
    </message>
    <message>
      <location filename="../processing/cluster.py" line="91" />
      <source>Cluster table</source>
      <translation>Clustertabelle</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="312" />
      <source>Cluster the scope</source>
      <translation>Bereich clustern</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="688" />
      <location filename="../gui/explore_panel.py" line="697" />
      <location filename="../processing/cluster.py" line="130" />
      <source>Cluster {0}</source>
      <translation>Cluster {0}</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="714" />
      <source>Clustering</source>
      <translation>Clusterbildung läuft</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="306" />
      <source>Clustering (k-means)</source>
      <translation>Clusterbildung (k-means)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="314" />
      <location filename="../processing/cluster.py" line="87" />
      <source>Clusters</source>
      <translation>Cluster</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="695" />
      <source>Clusters (k = {k}, {scope})</source>
      <translation>Cluster (k = {k}, {scope})</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="250" />
      <source>Combine</source>
      <translation>Kombinieren</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="93" />
      <source>Combine references</source>
      <translation>Referenzen kombinieren</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="827" />
      <source>Compute a similarity map first.</source>
      <translation>Berechnen Sie zuerst eine Ähnlichkeitskarte.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="258" />
      <source>Compute similarity map</source>
      <translation>Ähnlichkeitskarte berechnen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="608" />
      <source>Computing the similarity map</source>
      <translation>Ähnlichkeitskarte wird berechnet</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="113" />
      <source>Confidence</source>
      <translation>Konfidenz</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="782" />
      <source>Confidence ({0})</source>
      <translation>Konfidenz ({0})</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="119" />
      <source>Confusion matrix</source>
      <translation>Konfusionsmatrix</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="545" />
      <source>Confusion matrix (rows = true, columns = predicted):</source>
      <translation>Konfusionsmatrix (Zeilen = wahr, Spalten = vorhergesagt):</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="797" />
      <source>Confusion matrix ({0}, accuracy {1:.1%})</source>
      <translation>Konfusionsmatrix ({0}, Genauigkeit {1:.1%})</translation>
    </message>
    <message>
      <location filename="../bridge/jobs.py" line="160" />
      <source>Converting {0} geometries to EPSG:4326</source>
      <translation>{0} Geometrien werden nach EPSG:4326 transformiert</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="162" />
      <location filename="../gui/controller.py" line="376" />
      <location filename="../gui/controller.py" line="525" />
      <location filename="../gui/dock.py" line="134" />
      <location filename="../processing/base.py" line="168" />
      <source>Copernicus-Embed</source>
      <translation>Copernicus-Embed</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="240" />
      <source>Copernicus-Embed samples (points)</source>
      <translation>Copernicus-Embed-Proben (Punkte)</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="242" />
      <source>Copernicus-Embed samples (rectangles)</source>
      <translation>Copernicus-Embed-Proben (Rechtecke)</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="368" />
      <source>Copernicus-Embed was unloaded; its {n} result layers stay in the project. Their files are in a temporary folder ({folder}) that is removed when QGIS exits: export the layers (Export &gt; Save As) to keep them.</source>
      <translation>Copernicus-Embed wurde entladen; seine {n} Ergebnislayer bleiben im Projekt. Ihre Dateien liegen in einem temporären Ordner ({folder}), der beim Beenden von QGIS gelöscht wird: Exportieren Sie die Layer (Exportieren &gt; Speichern als), um sie zu behalten.</translation>
    </message>
    <message>
      <location filename="../gui/tasks.py" line="372" />
      <source>Copernicus-Embed: check the data directory</source>
      <translation>Copernicus-Embed: Datenverzeichnis prüfen</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1152" />
      <source>Copernicus-Embed: download into {folder}</source>
      <translation>Copernicus-Embed: Download nach {folder}</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="165" />
      <source>Copernicus-Embed: embeddings of an area, a point or features</source>
      <translation>Copernicus-Embed: Einbettungen eines Gebiets, eines Punkts oder von Objekten</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="940" />
      <source>Copernicus-Embed: fast cache</source>
      <translation>Copernicus-Embed: Schnell-Cache</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="967" />
      <source>Copernicus-Embed: remove cache</source>
      <translation>Copernicus-Embed: Cache entfernen</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="551" />
      <source>Copernicus-Embed: write {n} embeddings</source>
      <translation>Copernicus-Embed: {n} Einbettungen schreiben</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="847" />
      <source>Copernicus-Embed: {mode} of an area</source>
      <translation>Copernicus-Embed: Gebiet ({mode})</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="922" />
      <source>Copernicus-Embed: {n} features of {name}</source>
      <translation>Copernicus-Embed: {n} Objekte von {name}</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="245" />
      <source>Cosine</source>
      <translation>Kosinus</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="106" />
      <source>Cosine similarity</source>
      <translation>Kosinus-Ähnlichkeit</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="558" />
      <source>Could not add the field {field}.</source>
      <translation>Das Feld {field} konnte nicht hinzugefügt werden.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="295" />
      <source>Could not add the sample to {name}.</source>
      <translation>Die Probe konnte nicht zu {name} hinzugefügt werden.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="609" />
      <source>Could not fill the new layer.</source>
      <translation>Der neue Layer konnte nicht befüllt werden.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="632" />
      <source>Could not open {path}.</source>
      <translation>{path} konnte nicht geöffnet werden.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="566" />
      <source>Could not write feature {fid}.</source>
      <translation>Objekt {fid} konnte nicht geschrieben werden.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="629" />
      <source>Could not write {path}: {msg}</source>
      <translation>{path} konnte nicht geschrieben werden: {msg}</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="345" />
      <source>Cross-validation folds</source>
      <translation>Folds der Kreuzvalidierung</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="101" />
      <source>Cross-validation folds (0 = none)</source>
      <translation>Folds der Kreuzvalidierung (0 = keine)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="362" />
      <source>Data and fast cache</source>
      <translation>Daten und Schnell-Cache</translation>
    </message>
    <message>
      <location filename="../processing/base.py" line="148" />
      <source>Data directory</source>
      <translation>Datenverzeichnis</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="366" />
      <source>Data directory (folder holding {file})</source>
      <translation>Datenverzeichnis (Ordner mit {file})</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="572" />
      <source>Data directory set: {path}</source>
      <translation>Datenverzeichnis festgelegt: {path}</translation>
    </message>
    <message>
      <location filename="../processing/base.py" line="184" />
      <source>Data directory: {0} (from {1})</source>
      <translation>Datenverzeichnis: {0} (aus {1})</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="397" />
      <source>Decompress the product once on local disk: every read afterwards is fast.</source>
      <translation>Das Produkt einmalig auf der lokalen Festplatte entpacken: jedes spätere Lesen ist schnell.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="400" />
      <source>Delete the fast cache (reads become slower).</source>
      <translation>Den Schnell-Cache löschen (das Lesen wird langsamer).</translation>
    </message>
    <message>
      <location filename="../bridge/jobs.py" line="197" />
      <location filename="../gui/tasks.py" line="145" />
      <source>Done</source>
      <translation>Fertig</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="696" />
      <source>Download Copernicus-Embed ({size}) into {folder}</source>
      <translation>Copernicus-Embed ({size}) nach {folder} herunterladen</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="700" />
      <source>Download Copernicus-Embed into {folder}</source>
      <translation>Copernicus-Embed nach {folder} herunterladen</translation>
    </message>
    <message>
      <location filename="../processing/download_product.py" line="72" />
      <source>Download URL</source>
      <translation>Download-URL</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="89" />
      <location filename="../bridge/download.py" line="546" />
      <source>Download cancelled.</source>
      <translation>Download abgebrochen.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="614" />
      <source>Download cancelled; the partial file is kept and resumes next time.</source>
      <translation>Download abgebrochen; die Teildatei wird behalten und beim nächsten Mal fortgesetzt.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="544" />
      <source>Download cancelled; {0} is kept to resume later.</source>
      <translation>Download abgebrochen; {0} wird behalten, um später fortzusetzen.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="484" />
      <source>Download into {0} failed: {1}</source>
      <translation>Download nach {0} fehlgeschlagen: {1}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="594" />
      <source>Download of {0} failed: {1}</source>
      <translation>Download von {0} fehlgeschlagen: {1}</translation>
    </message>
    <message>
      <location filename="../processing/download_product.py" line="37" />
      <source>Download the Copernicus-Embed product</source>
      <translation>Copernicus-Embed-Produkt herunterladen</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="661" />
      <source>Downloaded {0} ({1})</source>
      <translation>{0} heruntergeladen ({1})</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="624" />
      <source>Downloaded {path}.</source>
      <translation>{path} heruntergeladen.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="605" />
      <source>Downloading Copernicus-Embed into {folder}...</source>
      <translation>Copernicus-Embed wird nach {folder} heruntergeladen...</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="700" />
      <location filename="../processing/download_product.py" line="102" />
      <source>Downloading {0}</source>
      <translation>{0} wird heruntergeladen</translation>
    </message>
    <message>
      <location filename="../processing/download_product.py" line="40" />
      <source>Downloads the product GeoTIFF {0} (721 x 1440 pixels of 0.25°, 768 float32 bands: about 3.2 GB of uncompressed data) into the folder, through QGIS's network settings (proxy, authentication, SSL).&lt;br&gt;&lt;br&gt;&lt;b&gt;Folder&lt;/b&gt;: where the file goes; by default the plugin's data directory (the plugin setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed), which the other rs_embed algorithms read.&lt;br&gt;&lt;b&gt;Resume&lt;/b&gt;: the transfer is written to {0}.part; an interrupted or cancelled download continues from there the next time (HTTP Range request).&lt;br&gt;&lt;b&gt;Checksum&lt;/b&gt;: the file is checked against its SHA-256 and renamed to {0} only if it matches; a file that does not match is deleted. A verified file already in the folder is kept without downloading.&lt;br&gt;&lt;b&gt;URL&lt;/b&gt; and &lt;b&gt;SHA-256&lt;/b&gt; (advanced): another source of the same file. An empty SHA-256 skips the checksum: the file must then still be a GeoTIFF that GDAL reads as the product, of the size the server announced, and it never replaces a product file already in the folder. A SHA-256 that is not 64 hexadecimal digits is refused before anything is downloaded.&lt;br&gt;&lt;b&gt;One at a time&lt;/b&gt;: a second download into the same folder is told that another one is running (a lock file .rs_embed_download.lock holds its process).</source>
      <translation>Lädt das Produkt-GeoTIFF {0} (721 x 1440 Pixel von 0,25°, 768 float32-Bänder: etwa 3,2 GB unkomprimierte Daten) in den Ordner herunter, über die Netzwerkeinstellungen von QGIS (Proxy, Authentifizierung, SSL).&lt;br&gt;&lt;br&gt;&lt;b&gt;Ordner&lt;/b&gt;: wohin die Datei kommt; standardmäßig das Datenverzeichnis des Plugins (die Plugin-Einstellung, sonst $RS_EMBED_COP_DIR, sonst data/copernicus_embed), das die anderen rs_embed-Algorithmen lesen.&lt;br&gt;&lt;b&gt;Fortsetzen&lt;/b&gt;: Die Übertragung wird nach {0}.part geschrieben; ein unterbrochener oder abgebrochener Download wird beim nächsten Mal dort fortgesetzt (HTTP-Range-Anfrage).&lt;br&gt;&lt;b&gt;Prüfsumme&lt;/b&gt;: Die Datei wird gegen ihre SHA-256 geprüft und nur bei Übereinstimmung in {0} umbenannt; eine nicht passende Datei wird gelöscht. Eine bereits geprüfte Datei im Ordner wird ohne Download behalten.&lt;br&gt;&lt;b&gt;URL&lt;/b&gt; und &lt;b&gt;SHA-256&lt;/b&gt; (erweitert): eine andere Quelle derselben Datei. Eine leere SHA-256 überspringt die Prüfsumme: Die Datei muss dann trotzdem ein GeoTIFF sein, das GDAL als das Produkt liest, in der vom Server angekündigten Größe, und sie ersetzt nie eine Produktdatei, die schon im Ordner liegt. Eine SHA-256, die nicht aus 64 Hexadezimalziffern besteht, wird abgelehnt, bevor etwas heruntergeladen wird.&lt;br&gt;&lt;b&gt;Einer nach dem anderen&lt;/b&gt;: Ein zweiter Download in denselben Ordner erfährt, dass schon einer läuft (eine Sperrdatei .rs_embed_download.lock enthält dessen Prozess).</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="78" />
      <location filename="../gui/dock.py" line="236" />
      <source>Drag a rectangle on the map.</source>
      <translation>Ziehen Sie ein Rechteck auf der Karte auf.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="284" />
      <source>Draw one area of the chosen type on the map; the map tool you had comes back once it is taken. Press again to draw the next one.</source>
      <translation>Zeichnen Sie ein Gebiet der gewählten Art auf der Karte; Ihr bisheriges Kartenwerkzeug kehrt zurück, sobald es erfasst ist. Drücken Sie erneut, um das nächste zu zeichnen.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="169" />
      <source>Embed</source>
      <translation>Einbetten</translation>
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="31" />
      <source>Embed extent as a grid (Copernicus-Embed)</source>
      <translation>Ausdehnung als Gitter einbetten (Copernicus-Embed)</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="59" />
      <source>Embed features (Copernicus-Embed)</source>
      <translation>Objekte einbetten (Copernicus-Embed)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="329" />
      <source>Embed selected features</source>
      <translation>Gewählte Objekte einbetten</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="136" />
      <source>Embedded features</source>
      <translation>Eingebettete Objekte</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="850" />
      <source>Embedding ({mode})...</source>
      <translation>Einbettung ({mode})...</translation>
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="60" />
      <source>Embedding grid (768 bands)</source>
      <translation>Einbettungsgitter (768 Bänder)</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="927" />
      <source>Embedding {n} features of {name}...</source>
      <translation>{n} Objekte von {name} werden eingebettet...</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="246" />
      <location filename="../processing/similarity_map.py" line="106" />
      <source>Euclidean (minus distance)</source>
      <translation>Euklidisch (negativer Abstand)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="279" />
      <source>Expand to</source>
      <translation>Erweitern auf</translation>
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="56" />
      <location filename="../processing/embed_features.py" line="120" />
      <source>Expand to at least (degrees)</source>
      <translation>Erweitern auf mindestens (Grad)</translation>
    </message>
    <message>
      <location filename="../processing/download_product.py" line="76" />
      <source>Expected SHA-256 (empty: no check)</source>
      <translation>Erwartete SHA-256 (leer: keine Prüfung)</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="376" />
      <source>Expected a polygon geometry.</source>
      <translation>Eine Polygongeometrie wurde erwartet.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="171" />
      <location filename="../gui/explore_panel.py" line="195" />
      <source>Explore</source>
      <translation>Erkunden</translation>
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="55" />
      <source>Extent</source>
      <translation>Ausdehnung</translation>
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="92" />
      <source>Extent in EPSG:4326: {0}</source>
      <translation>Ausdehnung in EPSG:4326: {0}</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="291" />
      <source>Fast approximate scores (search index)</source>
      <translation>Schnelle genäherte Werte (Suchindex)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="726" />
      <source>Fast cache not prepared. It needs {size} in {folder} ({free} free) and makes every read fast; without it reads decompress whole tiles.</source>
      <translation>Schnell-Cache nicht vorbereitet. Er braucht {size} in {folder} ({free} frei) und macht jedes Lesen schnell; ohne ihn entpackt jedes Lesen ganze Kacheln.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="715" />
      <source>Fast cache ready: {folder} ({size} on disk).</source>
      <translation>Schnell-Cache bereit: {folder} ({size} auf der Festplatte).</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="197" />
      <source>Fast search index (cosine)</source>
      <translation>Schneller Suchindex (Kosinus)</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="87" />
      <source>Feature {0} has no geometry.</source>
      <translation>Objekt {0} hat keine Geometrie.</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="98" />
      <source>Feature {0} is a line: use points or polygons as references.</source>
      <translation>Objekt {0} ist eine Linie: Verwenden Sie Punkte oder Polygone als Referenzen.</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="289" />
      <source>Feature {0}: {1}</source>
      <translation>Objekt {0}: {1}</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1122" />
      <source>Feature {fid}: {err}</source>
      <translation>Objekt {fid}: {err}</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="138" />
      <source>Features embedded</source>
      <translation>Anzahl eingebetteter Objekte</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="140" />
      <source>Features left with NULL embeddings</source>
      <translation>Anzahl der Objekte mit NULL-Einbettungen</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="132" />
      <source>Field name prefix</source>
      <translation>Präfix der Feldnamen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="297" />
      <source>Find places</source>
      <translation>Orte finden</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="662" />
      <source>Finding places like this</source>
      <translation>Ähnliche Orte werden gesucht</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="41" />
      <source>Finds the k pixels of the scope most similar to the references and writes them as points (EPSG:4326, pixel centres) with rank (1 = most similar), similarity, lon, lat (degrees) and the product row/col.</source>
      <translation>Findet die k Pixel des Bereichs, die den Referenzen am ähnlichsten sind, und schreibt sie als Punkte (EPSG:4326, Pixelmittelpunkte) mit Rang (1 = am ähnlichsten), Ähnlichkeit, lon, lat (Grad) und Zeile/Spalte im Produkt.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="484" />
      <source>Folder holding {file}</source>
      <translation>Ordner mit {file}</translation>
    </message>
    <message>
      <location filename="../processing/download_product.py" line="65" />
      <source>Folder to download into</source>
      <translation>Zielordner des Downloads</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="713" />
      <source>GeoPackage (*.gpkg)</source>
      <translation>GeoPackage (*.gpkg)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="303" />
      <source>Grid (raster)</source>
      <translation>Gitter (Raster)</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1086" />
      <source>Grid of {w} columns x {h} rows of 0.25° pixels added ({frac:.0%} with data).</source>
      <translation>Gitter aus {w} Spalten x {h} Zeilen mit Pixeln von 0,25° hinzugefügt ({frac:.0%} mit Daten).</translation>
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="103" />
      <source>Grid: {0} x {1} pixels, {2:.0%} with data</source>
      <translation>Gitter: {0} x {1} Pixel, {2:.0%} mit Daten</translation>
    </message>
    <message>
      <location filename="../processing/cluster.py" line="41" />
      <source>Groups the land pixels of the scope into k clusters of similar 768-d vectors (k-means with k-means++ seeding and a fixed random seed, Euclidean distance) and writes a categorical UInt16 GeoTIFF: cluster 1 .. k, 0 = ocean (no data), with a colour table.&lt;br&gt;&lt;br&gt;&lt;b&gt;Number of clusters&lt;/b&gt;: 1..254; 0 = automatic: k in {0}..{1} with the best mean silhouette on a sample of {2} pixels.&lt;br&gt;&lt;b&gt;Seed&lt;/b&gt;: the same seed gives the same clusters.&lt;br&gt;&lt;b&gt;Cluster table&lt;/b&gt; (optional): pixels and share of each cluster, and its nearest other cluster with the distance between centroids.</source>
      <translation>Gruppiert die Landpixel des Bereichs in k Cluster ähnlicher 768-d-Vektoren (k-means mit k-means++-Initialisierung und festem Zufallsstartwert, euklidischer Abstand) und schreibt ein kategoriales UInt16-GeoTIFF: Cluster 1 .. k, 0 = Meer (keine Daten), mit Farbtabelle.&lt;br&gt;&lt;br&gt;&lt;b&gt;Anzahl der Cluster&lt;/b&gt;: 1..254; 0 = automatisch: k in {0}..{1} mit der besten mittleren Silhouette auf einer Stichprobe von {2} Pixeln.&lt;br&gt;&lt;b&gt;Startwert&lt;/b&gt;: Derselbe Startwert ergibt dieselben Cluster.&lt;br&gt;&lt;b&gt;Clustertabelle&lt;/b&gt; (optional): Pixel und Anteil jedes Clusters sowie sein nächster anderer Cluster mit dem Abstand zwischen den Zentroiden.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="256" />
      <source>Half the side of the square area around the point: at most 2,000 km (a larger square is most of a continent; drag a rectangle instead).</source>
      <translation>Die halbe Seitenlänge des quadratischen Gebiets um den Punkt: höchstens 2.000 km (ein größeres Quadrat ist fast ein Kontinent; ziehen Sie stattdessen ein Rechteck auf).</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="262" />
      <source>Hide below</source>
      <translation>Ausblenden unter</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="90" />
      <source>Input layer (polygons or points)</source>
      <translation>Eingabelayer (Polygone oder Punkte)</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="316" />
      <source>Its data provider cannot add fields.</source>
      <translation>Sein Datenlieferant kann keine Felder hinzufügen.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="314" />
      <source>Its data provider cannot change attribute values.</source>
      <translation>Sein Datenlieferant kann keine Attributwerte ändern.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="196" />
      <source>Layer</source>
      <translation>Layer</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="46" />
      <source>Learns classes from labelled training features and classifies every land pixel of the scope.&lt;br&gt;&lt;br&gt;&lt;b&gt;Training&lt;/b&gt;: points (the pixel under each) or polygons (every land cell they cover, weighted by its covered area in km², the exact weights of the pooling); &lt;b&gt;Class field&lt;/b&gt;: the label of each feature (text or number).&lt;br&gt;&lt;b&gt;Classifier&lt;/b&gt;: nearest centroid by cosine (confidence = cosine to the chosen class centroid); multinomial logistic regression in NumPy (L2 penalty, deterministic; confidence = top probability); random forest (needs scikit-learn, which a stock QGIS does not have).&lt;br&gt;&lt;b&gt;Folds&lt;/b&gt;: k-fold cross-validation (2..20; 0 or 1 = none). Whole features are held out when every class has at least k of them, else single pixels (then the accuracy is optimistic for neighbouring pixels). Accuracy and confusion matrix (rows = true class, columns = predicted, counts of pixels) go to the log and to the optional table.&lt;br&gt;&lt;b&gt;Outputs&lt;/b&gt;: class raster (UInt16: integer labels 0..65534 as themselves, nodata 65535; other labels 1..C in sorted order, nodata 0; the labels are category names, with a colour table) and confidence raster (float32, 0..1, NaN = ocean).</source>
      <translation>Lernt Klassen aus beschrifteten Trainingsobjekten und klassifiziert jedes Landpixel des Bereichs.&lt;br&gt;&lt;br&gt;&lt;b&gt;Training&lt;/b&gt;: Punkte (das Pixel unter jedem) oder Polygone (jede Landzelle, die sie bedecken, gewichtet mit ihrer bedeckten Fläche in km², den exakten Gewichten der Aggregation); &lt;b&gt;Klassenfeld&lt;/b&gt;: die Beschriftung jedes Objekts (Text oder Zahl).&lt;br&gt;&lt;b&gt;Klassifikator&lt;/b&gt;: nächster Zentroid nach Kosinus (Konfidenz = Kosinus zum gewählten Klassenzentroid); multinomiale logistische Regression in NumPy (L2-Strafterm, deterministisch; Konfidenz = höchste Wahrscheinlichkeit); Random Forest (braucht scikit-learn, das ein Standard-QGIS nicht hat).&lt;br&gt;&lt;b&gt;Folds&lt;/b&gt;: k-fache Kreuzvalidierung (2..20; 0 oder 1 = keine). Ganze Objekte werden zurückgehalten, wenn jede Klasse mindestens k davon hat, sonst einzelne Pixel (dann ist die Genauigkeit für benachbarte Pixel zu optimistisch). Genauigkeit und Konfusionsmatrix (Zeilen = wahre Klasse, Spalten = vorhergesagte, Anzahl der Pixel) gehen ins Protokoll und in die optionale Tabelle.&lt;br&gt;&lt;b&gt;Ausgaben&lt;/b&gt;: Klassenraster (UInt16: ganzzahlige Beschriftungen 0..65534 unverändert, NoData 65535; andere Beschriftungen 1..C in sortierter Reihenfolge, NoData 0; die Beschriftungen sind Kategorienamen, mit Farbtabelle) und Konfidenzraster (float32, 0..1, NaN = Meer).</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="288" />
      <source>Leave the references out</source>
      <translation>Referenzen auslassen</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="455" />
      <source>Lines have no area to embed; use polygons, or points with a buffer.</source>
      <translation>Linien haben keine Fläche zum Einbetten; verwenden Sie Polygone oder Punkte mit Puffer.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="73" />
      <location filename="../processing/classify.py" line="92" />
      <source>Logistic regression</source>
      <translation>Logistische Regression</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="186" />
      <source>Map extent</source>
      <translation>Kartenausdehnung</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="240" />
      <source>Max over references</source>
      <translation>Maximum über Referenzen</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="97" />
      <source>Maximum over references</source>
      <translation>Maximum über die Referenzen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="240" />
      <location filename="../processing/similarity_map.py" line="95" />
      <source>Mean vector</source>
      <translation>Mittelwertvektor</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="240" />
      <location filename="../processing/similarity_map.py" line="96" />
      <source>Medoid</source>
      <translation>Medoid</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="251" />
      <location filename="../processing/similarity_map.py" line="105" />
      <source>Metric</source>
      <translation>Metrik</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="300" />
      <source>Min. distance</source>
      <translation>Mindestabstand</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="92" />
      <source>Minimum distance between places (km)</source>
      <translation>Mindestabstand zwischen Orten (km)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="72" />
      <location filename="../processing/classify.py" line="91" />
      <source>Nearest centroid (cosine)</source>
      <translation>Nächster Zentroid (Kosinus)</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="699" />
      <source>New GeoPackage...</source>
      <translation>Neues GeoPackage...</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="698" />
      <source>New memory layer</source>
      <translation>Neuer Temporärlayer</translation>
    </message>
    <message>
      <location filename="../processing/download_product.py" line="97" />
      <source>No SHA-256 given: the file is only checked to be the product's GeoTIFF, and it will not replace a product file already in the folder.</source>
      <translation>Keine SHA-256 angegeben: Die Datei wird nur darauf geprüft, ob sie das GeoTIFF des Produkts ist, und sie ersetzt keine Produktdatei, die schon im Ordner liegt.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="638" />
      <source>No data directory chosen yet.</source>
      <translation>Noch kein Datenverzeichnis gewählt.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="938" />
      <location filename="../gui/controller.py" line="949" />
      <source>No product file in the data directory.</source>
      <translation>Keine Produktdatei im Datenverzeichnis.</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="206" />
      <source>No reference: give reference features (points or polygons) or a reference extent.</source>
      <translation>Keine Referenz: Geben Sie Referenzobjekte (Punkte oder Polygone) oder eine Referenzausdehnung an.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="997" />
      <source>No samples yet: capture a pooled embedding first.</source>
      <translation>Noch keine Proben: Erfassen Sie zuerst eine aggregierte Einbettung.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="762" />
      <source>No training feature has a class in the field {0!r}.</source>
      <translation>Kein Trainingsobjekt hat eine Klasse im Feld {0!r}.</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="130" />
      <source>No training layer.</source>
      <translation>Kein Trainingslayer.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="326" />
      <location filename="../gui/dock.py" line="590" />
      <source>No vector layer is active.</source>
      <translation>Kein Vektorlayer ist aktiv.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="748" />
      <source>No {file} found; looked in {places}.</source>
      <translation>Keine Datei {file} gefunden; gesucht in {places}.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="284" />
      <source>Not enough free disk space in {0}: {1} needed, {2} free.</source>
      <translation>Nicht genug freier Speicherplatz in {0}: {1} nötig, {2} frei.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="477" />
      <source>Not used: {reason}</source>
      <translation>Nicht verwendet: {reason}</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="963" />
      <source>Nothing was removed.</source>
      <translation>Es wurde nichts entfernt.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="907" />
      <location filename="../gui/controller.py" line="890" />
      <location filename="../gui/controller.py" line="897" />
      <source>Nothing was written.</source>
      <translation>Nichts wurde geschrieben.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="902" />
      <source>Nothing was written: the existing embeddings were kept.</source>
      <translation>Nichts wurde geschrieben: Die vorhandenen Einbettungen wurden behalten.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="299" />
      <source>Number</source>
      <translation>Anzahl</translation>
    </message>
    <message>
      <location filename="../processing/cluster.py" line="69" />
      <source>Number of clusters (0 = automatic)</source>
      <translation>Anzahl der Cluster (0 = automatisch)</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="82" />
      <source>Number of places</source>
      <translation>Anzahl der Orte</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="304" />
      <source>One vector per area, into the samples table.</source>
      <translation>Ein Vektor je Gebiet, in die Probentabelle.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="676" />
      <source>Overwrite embeddings?</source>
      <translation>Einbettungen überschreiben?</translation>
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="66" />
      <source>PCA RGB rendering</source>
      <translation>PCA-RGB-Darstellung</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="150" />
      <source>PCA colours {time}</source>
      <translation>PCA-Farben {time}</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="279" />
      <location filename="../gui/explore_panel.py" line="648" />
      <location filename="../processing/similar_places.py" line="102" />
      <source>Places like this</source>
      <translation>Ähnliche Orte</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="37" />
      <source>Places like this (Copernicus-Embed)</source>
      <translation>Ähnliche Orte (Copernicus-Embed)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="237" />
      <source>Point + buffer</source>
      <translation>Punkt + Puffer</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="367" />
      <source>Point {0:.3f}, {1:.3f}</source>
      <translation>Punkt {0:.3f}, {1:.3f}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="302" />
      <source>Pooled vector</source>
      <translation>Aggregierter Vektor</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="315" />
      <location filename="../processing/embed_features.py" line="106" />
      <source>Pooling</source>
      <translation>Aggregation</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="395" />
      <source>Prepare fast cache</source>
      <translation>Schnell-Cache vorbereiten</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="729" />
      <source>Prepare the fast cache?</source>
      <translation>Schnell-Cache vorbereiten?</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="941" />
      <source>Preparing the fast cache...</source>
      <translation>Schnell-Cache wird vorbereitet...</translation>
    </message>
    <message>
      <location filename="../processing/download_product.py" line="83" />
      <source>Product file</source>
      <translation>Produktdatei</translation>
    </message>
    <message>
      <location filename="../processing/download_product.py" line="115" />
      <source>Product file: {0}</source>
      <translation>Produktdatei: {0}</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="154" />
      <source>QGIS could not open {path}.</source>
      <translation>QGIS konnte {path} nicht öffnen.</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="93" />
      <source>Random forest (needs scikit-learn)</source>
      <translation>Random Forest (braucht scikit-learn)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="74" />
      <source>Random forest (scikit-learn)</source>
      <translation>Random Forest (scikit-learn)</translation>
    </message>
    <message>
      <location filename="../processing/cluster.py" line="80" />
      <source>Random seed</source>
      <translation>Zufallsstartwert</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="741" />
      <source>Read directly</source>
      <translation>Direkt lesen</translation>
    </message>
    <message>
      <location filename="../gui/tasks.py" line="133" />
      <source>Reading the product</source>
      <translation>Produkt wird gelesen</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="164" />
      <source>Reading {0} with the {1} reader</source>
      <translation>{0} wird mit dem {1}-Leser gelesen</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="483" />
      <location filename="../gui/dock.py" line="426" />
      <source>Ready.</source>
      <translation>Bereit.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="235" />
      <source>Rectangle</source>
      <translation>Rechteck</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="87" />
      <source>Reference extent</source>
      <translation>Referenzausdehnung</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="80" />
      <source>Reference features (points or polygons)</source>
      <translation>Referenzobjekte (Punkte oder Polygone)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="218" />
      <source>References</source>
      <translation>Referenzen</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="115" />
      <source>Region pooled for polygons</source>
      <translation>Aggregierte Region bei Polygonen</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="226" />
      <source>Remove</source>
      <translation>Entfernen</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="399" />
      <source>Remove cache</source>
      <translation>Cache entfernen</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="779" />
      <source>Remove the cache and the index ({size})</source>
      <translation>Cache und Index entfernen ({size})</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="776" />
      <source>Remove the cache only</source>
      <translation>Nur den Cache entfernen</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="775" />
      <source>Remove the cache only, or the cache and the search index?</source>
      <translation>Nur den Cache entfernen, oder den Cache und den Suchindex?</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="767" />
      <source>Remove the fast cache?</source>
      <translation>Schnell-Cache entfernen?</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="220" />
      <source>Removed {n} temporary folders ({size}) left by QGIS sessions that ended without closing: {folders}</source>
      <translation>{n} temporäre Ordner ({size}) von QGIS-Sitzungen entfernt, die ohne Schließen endeten: {folders}</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="970" />
      <source>Removing the fast cache ({size}) and the search index ({isize})...</source>
      <translation>Schnell-Cache ({size}) und Suchindex ({isize}) werden entfernt...</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="974" />
      <source>Removing the fast cache ({size})...</source>
      <translation>Schnell-Cache ({size}) wird entfernt...</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="300" />
      <source>Result</source>
      <translation>Ergebnis</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="40" />
      <source>Results lie on the product's own grid: EPSG:4326, 0.25° pixels (about 28 km at the equator), Copernicus-Embed year 2021; ocean pixels (no embedding) are no data.</source>
      <translation>Die Ergebnisse liegen auf dem eigenen Gitter des Produkts: EPSG:4326, Pixel von 0,25° (etwa 28 km am Äquator), Copernicus-Embed Jahr 2021; Meerespixel (ohne Einbettung) sind NoData.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="529" />
      <source>Resuming {0} at {1}</source>
      <translation>{0} wird bei {1} fortgesetzt</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="560" />
      <source>Resuming.</source>
      <translation>Wird fortgesetzt.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="202" />
      <source>Right-click the map while a Copernicus-Embed tool is active: a similarity map of the map extent to the pixel clicked.</source>
      <translation>Klicken Sie mit der rechten Maustaste in die Karte, während ein Copernicus-Embed-Werkzeug aktiv ist: eine Ähnlichkeitskarte der Kartenausdehnung zum angeklickten Pixel.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1097" />
      <source>Sample added to {name} ({frac:.0%} of the area has data).</source>
      <translation>Probe zu {name} hinzugefügt ({frac:.0%} des Gebiets hat Daten).</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="318" />
      <source>Samples table</source>
      <translation>Probentabelle</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="713" />
      <source>Save embeddings as</source>
      <translation>Einbettungen speichern als</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1117" />
      <source>Save the layer's edits to keep them, or undo.</source>
      <translation>Speichern Sie die Bearbeitungen des Layers, um sie zu behalten, oder machen Sie sie rückgängig.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="182" />
      <source>Scope</source>
      <translation>Bereich</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="115" />
      <source>Scope (empty = whole product)</source>
      <translation>Bereich (leer = ganzes Produkt)</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="182" />
      <source>Scope in EPSG:4326: {0}</source>
      <translation>Bereich in EPSG:4326: {0}</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="175" />
      <source>Scope: the whole product file</source>
      <translation>Bereich: die ganze Produktdatei</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="236" />
      <source>Scores every pixel of the scope by how much its 768-d Copernicus-Embed vector looks like the references, and writes a float32 GeoTIFF (NaN = no data).</source>
      <translation>Bewertet jedes Pixel des Bereichs danach, wie sehr sein 768-d-Copernicus-Embed-Vektor den Referenzen ähnelt, und schreibt ein float32-GeoTIFF (NaN = keine Daten).</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="344" />
      <source>Scores from the search index: approximate, each within {0:.3g}</source>
      <translation>Werte aus dem Suchindex: näherungsweise, jeder auf {0:.3g} genau</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="151" />
      <source>Search index: {0}</source>
      <translation>Suchindex: {0}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="719" />
      <source>Search index: {size}.</source>
      <translation>Suchindex: {size}.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="874" />
      <source>Select features of a polygon or point layer first.</source>
      <translation>Wählen Sie zuerst Objekte eines Polygon- oder Punktlayers.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="398" />
      <source>Select point or polygon features in a vector layer first.</source>
      <translation>Wählen Sie zuerst Punkt- oder Polygonobjekte in einem Vektorlayer.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="324" />
      <source>Selected features</source>
      <translation>Gewählte Objekte</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="256" />
      <location filename="../processing/similarity_map.py" line="294" />
      <source>Similarity map</source>
      <translation>Ähnlichkeitskarte</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="232" />
      <source>Similarity map (Copernicus-Embed)</source>
      <translation>Ähnlichkeitskarte (Copernicus-Embed)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="603" />
      <source>Similarity map ready: {0:.3f} .. {1:.3f}</source>
      <translation>Ähnlichkeitskarte bereit: {0:.3f} .. {1:.3f}</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="597" />
      <source>Similarity {0} ({1})</source>
      <translation>Ähnlichkeit {0} ({1})</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="838" />
      <source>Similarity ≥ {0:.3f}</source>
      <translation>Ähnlichkeit ≥ {0:.3f}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="553" />
      <source>Starting from the beginning.</source>
      <translation>Es wird von vorn begonnen.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="340" />
      <source>Store as</source>
      <translation>Speichern als</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="682" />
      <location filename="../gui/controller.py" line="712" />
      <source>That point has no longitude/latitude.</source>
      <translation>Dieser Punkt hat keine Länge/Breite.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="341" />
      <source>The SHA-256 '{0}' is not 64 hexadecimal digits: nothing was downloaded. Correct it, or leave it empty to skip the check.</source>
      <translation>Die SHA-256 '{0}' besteht nicht aus 64 Hexadezimalziffern: Nichts wurde heruntergeladen. Korrigieren Sie sie oder lassen Sie sie leer, um die Prüfung zu überspringen.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="680" />
      <source>The download from {0} is not the Copernicus-Embed GeoTIFF ({1}); it was deleted.</source>
      <translation>Der Download von {0} ist nicht das Copernicus-Embed-GeoTIFF ({1}); er wurde gelöscht.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="644" />
      <source>The download has {0} bytes instead of {1}; it was deleted.</source>
      <translation>Der Download hat {0} Bytes statt {1}; er wurde gelöscht.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="597" />
      <source>The download is not available in this version of the plugin.</source>
      <translation>Der Download ist in dieser Version des Plugins nicht verfügbar.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="653" />
      <source>The download's SHA-256 is {0}, not {1}; the file was deleted.</source>
      <translation>Die SHA-256 des Downloads ist {0}, nicht {1}; die Datei wurde gelöscht.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="509" />
      <source>The edits of {name} were discarded: no embeddings were kept.</source>
      <translation>Die Bearbeitungen von {name} wurden verworfen: Es wurden keine Einbettungen behalten.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="592" />
      <source>The extent could not be transformed to EPSG:4326.</source>
      <translation>Die Ausdehnung konnte nicht nach EPSG:4326 transformiert werden.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="579" />
      <source>The extent is empty; draw or choose a rectangle with an area.</source>
      <translation>Die Ausdehnung ist leer; zeichnen oder wählen Sie ein Rechteck mit einer Fläche.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="769" />
      <source>The fast cache ({size}, {folder}) makes reads fast; the search index ({index_size}, {index_folder}) makes fast similarity searches and takes minutes to build again.</source>
      <translation>Der Schnell-Cache ({size}, {folder}) macht das Lesen schnell; der Suchindex ({index_size}, {index_folder}) ermöglicht schnelle Ähnlichkeitssuchen, und sein Neuaufbau dauert Minuten.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1070" />
      <source>The fast cache and the search index were removed.</source>
      <translation>Der Schnell-Cache und der Suchindex wurden entfernt.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="711" />
      <source>The fast cache cannot be used: {err}</source>
      <translation>Der Schnell-Cache kann nicht verwendet werden: {err}</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1129" />
      <source>The fast cache could not be built ({err}); read directly.</source>
      <translation>Der Schnell-Cache konnte nicht erstellt werden ({err}); es wurde direkt gelesen.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="929" />
      <source>The fast cache is built first.</source>
      <translation>Der Schnell-Cache wird zuerst erstellt.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1067" />
      <source>The fast cache is ready.</source>
      <translation>Der Schnell-Cache ist bereit.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1072" />
      <source>The fast cache was removed; the search index was kept.</source>
      <translation>Der Schnell-Cache wurde entfernt; der Suchindex wurde behalten.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="357" />
      <source>The feature has no geometry (null or empty).</source>
      <translation>Das Objekt hat keine Geometrie (NULL oder leer).</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="174" />
      <source>The field prefix {0!r} is not usable: use up to 21 letters, digits or underscores, starting with a letter or underscore.</source>
      <translation>Das Feldpräfix {0!r} ist nicht verwendbar: Verwenden Sie bis zu 21 Buchstaben, Ziffern oder Unterstriche, beginnend mit einem Buchstaben oder Unterstrich.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="269" />
      <source>The file on the server has {0} bytes instead of {1}.</source>
      <translation>Die Datei auf dem Server hat {0} Bytes statt {1}.</translation>
    </message>
    <message>
      <location filename="../processing/base.py" line="153" />
      <source>The folder holding embed_map_310k.tif (or a folder directly inside it); empty: the plugin's data directory.</source>
      <translation>Der Ordner mit embed_map_310k.tif (oder ein Ordner direkt darin); leer: das Datenverzeichnis des Plugins.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="747" />
      <source>The folder {folder} does not exist.</source>
      <translation>Der Ordner {folder} existiert nicht.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="348" />
      <source>The geometry could not be transformed to EPSG:4326 ({0}); it may lie outside the area where its CRS is defined.</source>
      <translation>Die Geometrie konnte nicht nach EPSG:4326 transformiert werden ({0}); sie liegt womöglich außerhalb des Gebiets, für das ihr KBS definiert ist.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="457" />
      <source>The geometry type is not supported; use polygons or points.</source>
      <translation>Der Geometrietyp wird nicht unterstützt; verwenden Sie Polygone oder Punkte.</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="195" />
      <source>The input already has {0} fields named {1}*; they are replaced.</source>
      <translation>Die Eingabe hat bereits {0} Felder namens {1}*; sie werden ersetzt.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="308" />
      <source>The layer is not valid.</source>
      <translation>Der Layer ist nicht gültig.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="310" />
      <source>The layer is read-only.</source>
      <translation>Der Layer ist schreibgeschützt.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="656" />
      <source>The layer of the batch was removed from the project.</source>
      <translation>Der Layer der Stapelverarbeitung wurde aus dem Projekt entfernt.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="62" />
      <source>The layer or extent has no valid coordinate reference system, so it cannot be transformed to EPSG:4326. Set its CRS first.</source>
      <translation>Der Layer oder die Ausdehnung hat kein gültiges Koordinatenbezugssystem und kann daher nicht nach EPSG:4326 transformiert werden. Legen Sie zuerst sein KBS fest.</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="127" />
      <location filename="../bridge/explore_outputs.py" line="134" />
      <source>The layer {0!r} has no extent to use as the scope.</source>
      <translation>Der Layer {0!r} hat keine Ausdehnung, die als Bereich dienen kann.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="602" />
      <source>The partial file does not fit the file on the server.</source>
      <translation>Die Teildatei passt nicht zur Datei auf dem Server.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="413" />
      <source>The polygon has no area after the transform to EPSG:4326.</source>
      <translation>Das Polygon hat nach der Transformation nach EPSG:4326 keine Fläche.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="328" />
      <source>The polygon is invalid and has no area once repaired.</source>
      <translation>Das Polygon ist ungültig und hat nach der Reparatur keine Fläche.</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="315" />
      <source>The polygon is invalid: {0}.</source>
      <translation>Das Polygon ist ungültig: {0}.</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="392" />
      <source>The score range is not finite.</source>
      <translation>Der Wertebereich ist nicht endlich.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="275" />
      <source>The server does not resume downloads: starting from the beginning.</source>
      <translation>Der Server setzt Downloads nicht fort: Es wird von vorn begonnen.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="252" />
      <source>The server sent another byte range than asked ({0}).</source>
      <translation>Der Server sandte einen anderen Bytebereich als angefragt ({0}).</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="666" />
      <source>The setting was not changed.</source>
      <translation>Die Einstellung wurde nicht geändert.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="887" />
      <source>The similarity layer was removed: compute a new one to use the threshold.</source>
      <translation>Der Ähnlichkeitslayer wurde entfernt: Berechnen Sie einen neuen, um den Schwellenwert zu verwenden.</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="93" />
      <source>The task stopped without a result.</source>
      <translation>Die Aufgabe endete ohne Ergebnis.</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="165" />
      <source>The training layer has no field {0!r}.</source>
      <translation>Der Trainingslayer hat kein Feld {0!r}.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="614" />
      <source>The transfer broke off: {0}.</source>
      <translation>Die Übertragung brach ab: {0}.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="622" />
      <source>The transfer ended at {0} of {1}.</source>
      <translation>Die Übertragung endete bei {0} von {1}.</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="285" />
      <source>Threshold for the areas</source>
      <translation>Schwellenwert für die Gebiete</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="77" />
      <source>Training features (points or polygons)</source>
      <translation>Trainingsobjekte (Punkte oder Polygone)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="342" />
      <source>Training layer</source>
      <translation>Trainingslayer</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="371" />
      <source>Type a folder and press Enter, or browse</source>
      <translation>Ordner eingeben und Enter drücken, oder durchsuchen</translation>
    </message>
    <message>
      <location filename="../processing/base.py" line="224" />
      <source>Unexpected {0}: {1} (details in the log panel, tab rs_embed).</source>
      <translation>Unerwarteter Fehler {0}: {1} (Details im Protokoll-Bedienfeld, Reiter rs_embed).</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="96" />
      <source>Unexpected {kind}: {msg} (details in the log panel, rs_embed).</source>
      <translation>Unerwarteter Fehler {kind}: {msg} (Details im Protokoll-Bedienfeld, rs_embed).</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="99" />
      <source>Use the search index when there is one</source>
      <translation>Den Suchindex verwenden, wenn es einen gibt</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="678" />
      <source>Using &lt;b&gt;{file}&lt;/b&gt;{origin}.</source>
      <translation>Verwendet wird &lt;b&gt;{file}&lt;/b&gt;{origin}.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="188" />
      <source>Whole globe</source>
      <translation>Ganzer Globus</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="691" />
      <source>Write embeddings to a new layer?</source>
      <translation>Einbettungen in einen neuen Layer schreiben?</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="696" />
      <source>Write the selected features with their fields and emb_000..emb_767 to a new layer?</source>
      <translation>Die gewählten Objekte mit ihren Feldern und emb_000..emb_767 in einen neuen Layer schreiben?</translation>
    </message>
    <message>
      <location filename="../processing/embed_extent.py" line="34" />
      <source>Writes the Copernicus-Embed pixels (year 2021) of an extent as a GeoTIFF of 768 float32 bands named emb_000 .. emb_767, in EPSG:4326 on the product's own grid (0.25° pixels, about 28 km at the equator; edges where the file's georeferencing puts them, e.g. -180.125 + 0.25 k and 90.125 - 0.25 k). Ocean pixels are all zeros.&lt;br&gt;&lt;br&gt;&lt;b&gt;Extent&lt;/b&gt;: any CRS; its boundary is densified before the transform to EPSG:4326, so UTM and polar rectangles get the right box. An extent across the antimeridian gives a grid whose longitudes run past 180; one holding a pole covers every longitude. An extent without a CRS is read as EPSG:4326.&lt;br&gt;&lt;b&gt;Expand&lt;/b&gt; (degrees): a side shorter than this is grown to it around its centre; 0 keeps the extent as it is. The box is then snapped outward to whole product pixels.&lt;br&gt;&lt;b&gt;PCA RGB&lt;/b&gt; (optional): a 4-band RGBA GeoTIFF of the first three principal components of the vectors, 2-98 % stretched; ocean is transparent.&lt;br&gt;&lt;br&gt;&lt;b&gt;Limits&lt;/b&gt;: a grid over 2 GB (about 700 000 pixels) is refused; the data directory is DATA_DIR, else the plugin setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed.</source>
      <translation>Schreibt die Copernicus-Embed-Pixel (Jahr 2021) einer Ausdehnung als GeoTIFF mit 768 float32-Bändern namens emb_000 .. emb_767, in EPSG:4326 auf dem eigenen Gitter des Produkts (Pixel von 0,25°, etwa 28 km am Äquator; Kanten dort, wo die Georeferenzierung der Datei sie setzt, z. B. -180,125 + 0,25 k und 90,125 - 0,25 k). Meerespixel sind durchweg Null.&lt;br&gt;&lt;br&gt;&lt;b&gt;Ausdehnung&lt;/b&gt;: beliebiges KBS; ihre Grenze wird vor der Transformation nach EPSG:4326 verdichtet, sodass UTM- und Polar-Rechtecke das richtige Umgebungsrechteck erhalten. Eine Ausdehnung über den Antimeridian ergibt ein Gitter, dessen Längengrade über 180 hinausgehen; eine, die einen Pol enthält, deckt alle Längengrade ab. Eine Ausdehnung ohne KBS wird als EPSG:4326 gelesen.&lt;br&gt;&lt;b&gt;Erweitern&lt;/b&gt; (Grad): Eine kürzere Seite wird um ihre Mitte auf diesen Wert vergrößert; 0 lässt die Ausdehnung, wie sie ist. Das Rechteck wird dann nach außen auf ganze Produktpixel gerundet.&lt;br&gt;&lt;b&gt;PCA-RGB&lt;/b&gt; (optional): ein RGBA-GeoTIFF mit 4 Bändern aus den ersten drei Hauptkomponenten der Vektoren, auf 2-98 % gestreckt; das Meer ist transparent.&lt;br&gt;&lt;br&gt;&lt;b&gt;Grenzen&lt;/b&gt;: Ein Gitter über 2 GB (etwa 700 000 Pixel) wird abgelehnt; das Datenverzeichnis ist DATA_DIR, sonst die Plugin-Einstellung, sonst $RS_EMBED_COP_DIR, sonst data/copernicus_embed.</translation>
    </message>
    <message>
      <location filename="../gui/tasks.py" line="143" />
      <source>Writing the grid</source>
      <translation>Gitter wird geschrieben</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="124" />
      <source>Year</source>
      <translation>Jahr</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="167" />
      <source>Year {0} is not available: Copernicus-Embed has only {1}.</source>
      <translation>Jahr {0} ist nicht verfügbar: Copernicus-Embed hat nur {1}.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="149" />
      <source>Year: &lt;b&gt;{year}&lt;/b&gt; (the only year of the product)</source>
      <translation>Jahr: &lt;b&gt;{year}&lt;/b&gt; (das einzige Jahr des Produkts)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="469" />
      <source>a layer's extent</source>
      <translation>Ausdehnung eines Layers</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="311" />
      <source>auto</source>
      <translation>auto</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="596" />
      <source>cosine</source>
      <translation>Kosinus</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="596" />
      <source>euclidean</source>
      <translation>euklidisch</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="274" />
      <source>expand_deg: a side of the area shorter than this many degrees is grown to it around its centre (0 reads exactly the pixels under the area).</source>
      <translation>expand_deg: eine Seite des Gebiets, die kürzer als so viele Grad ist, wird um ihre Mitte auf diesen Wert vergrößert (0 liest genau die Pixel unter dem Gebiet).</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="542" />
      <source>feature</source>
      <translation>Objekt</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="839" />
      <source>grid</source>
      <translation>Gitter</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="297" />
      <source>its exterior ring is not closed: it starts at ({0:g} {1:g}) and ends at ({2:g} {3:g})</source>
      <translation>Sein äußerer Ring ist nicht geschlossen: Er beginnt bei ({0:g} {1:g}) und endet bei ({2:g} {3:g})</translation>
    </message>
    <message>
      <location filename="../bridge/geometry.py" line="301" />
      <source>its hole {4} is not closed: it starts at ({0:g} {1:g}) and ends at ({2:g} {3:g})</source>
      <translation>Sein Loch {4} ist nicht geschlossen: Es beginnt bei ({0:g} {1:g}) und endet bei ({2:g} {3:g})</translation>
    </message>
    <message>
      <location filename="../processing/cluster.py" line="124" />
      <source>k = {0}: silhouette {1:.3f}</source>
      <translation>k = {0}: Silhouette {1:.3f}</translation>
    </message>
    <message>
      <location filename="../processing/cluster.py" line="126" />
      <source>k = {0}; {1} land pixels (fitted on {2}); inertia {3:.6g}</source>
      <translation>k = {0}; {1} Landpixel (angepasst an {2}); Inertia {3:.6g}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="91" />
      <source>km</source>
      <translation>km</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="91" />
      <source>m</source>
      <translation>m</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="470" />
      <source>map extent</source>
      <translation>Kartenausdehnung</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="96" />
      <location filename="../processing/embed_features.py" line="108" />
      <source>max</source>
      <translation>Maximum</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="96" />
      <location filename="../processing/embed_features.py" line="108" />
      <source>mean</source>
      <translation>Mittelwert</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="611" />
      <source>no data for too long (network timeout)</source>
      <translation>zu lange keine Daten (Netzwerk-Zeitüberschreitung)</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="339" />
      <location filename="../processing/similarity_map.py" line="152" />
      <source>none</source>
      <translation>ohne</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="345" />
      <source>one JSON field</source>
      <translation>ein JSON-Feld</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="542" />
      <source>pixel</source>
      <translation>Pixel</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="839" />
      <source>pooled</source>
      <translation>aggregiert</translation>
    </message>
    <message>
      <location filename="../processing/provider.py" line="20" />
      <source>rs_embed (Copernicus-Embed)</source>
      <translation>rs_embed (Copernicus-Embed)</translation>
    </message>
    <message>
      <location filename="../processing/provider.py" line="23" />
      <source>rs_embed: Copernicus-Embed precomputed Earth embeddings</source>
      <translation>rs_embed: vorberechnete Copernicus-Embed-Erdeinbettungen</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="152" />
      <source>used</source>
      <translation>verwendet</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="466" />
      <source>whole globe</source>
      <translation>ganzer Globus</translation>
    </message>
    <message>
      <location filename="../gui/tasks.py" line="83" />
      <source>{0} (cancelled)</source>
      <translation>{0} (abgebrochen)</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="366" />
      <source>{0} areas at or above {1}: {2:.0f} km² in all</source>
      <translation>{0} Gebiete ab {1}: insgesamt {2:.0f} km²</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="788" />
      <source>{0} classes from {1} training pixels</source>
      <translation>{0} Klassen aus {1} Trainingspixeln</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="177" />
      <source>{0} classes, {1} training pixels, classifier {2}</source>
      <translation>{0} Klassen, {1} Trainingspixel, Klassifikator {2}</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="708" />
      <source>{0} clusters; their sizes and distances are in the table {1!r}</source>
      <translation>{0} Cluster; ihre Größen und Abstände stehen in der Tabelle {1!r}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="321" />
      <source>{0} did not send a GeoTIFF (it begins with '{1}', e.g. a web page of a login or an error): nothing was kept.</source>
      <translation>{0} sandte kein GeoTIFF (es beginnt mit '{1}', z. B. eine Web-Seite einer Anmeldung oder eines Fehlers): Nichts wurde behalten.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="512" />
      <source>{0} does not match the checksum: downloading it again.</source>
      <translation>{0} passt nicht zur Prüfsumme: Es wird erneut heruntergeladen.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="411" />
      <source>{0} feature {1}</source>
      <translation>{0} Objekt {1}</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="212" />
      <source>{0} features, region {1}, pooling {2}</source>
      <translation>{0} Objekte, Region {1}, Aggregation {2}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="570" />
      <source>{0} is already complete.</source>
      <translation>{0} ist bereits vollständig.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="509" />
      <source>{0} is already present and verified.</source>
      <translation>{0} ist bereits vorhanden und geprüft.</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="515" />
      <source>{0} is already there; a download without a SHA-256 cannot be verified, so it never replaces it. Give the SHA-256, or move the file away first.</source>
      <translation>{0} ist bereits da; ein Download ohne SHA-256 kann nicht geprüft werden und ersetzt ihn daher nie. Geben Sie die SHA-256 an oder verschieben Sie die Datei zuerst.</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="338" />
      <source>{0} land pixels scored; {1} from {2:.4f} to {3:.4f}</source>
      <translation>{0} Landpixel bewertet; {1} von {2:.4f} bis {3:.4f}</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="307" />
      <source>{0} of {1} ({2:.0%}), {3}/s</source>
      <translation>{0} von {1} ({2:.0%}), {3}/s</translation>
    </message>
    <message>
      <location filename="../processing/embed_features.py" line="275" />
      <source>{0} of {1} features are kept with NULL embeddings: {2} without geometry (null or empty), {3} without data (ocean, or outside the data file), {4} with an unusable geometry.</source>
      <translation>{0} von {1} Objekten werden mit NULL-Einbettungen behalten: {2} ohne Geometrie (NULL oder leer), {3} ohne Daten (Meer oder außerhalb der Datendatei), {4} mit unbrauchbarer Geometrie.</translation>
    </message>
    <message>
      <location filename="../processing/similar_places.py" line="144" />
      <source>{0} places (asked for {1})</source>
      <translation>{0} Orte ({1} angefragt)</translation>
    </message>
    <message>
      <location filename="../processing/similarity_map.py" line="211" />
      <source>{0} reference(s)</source>
      <translation>{0} Referenz(en)</translation>
    </message>
    <message>
      <location filename="../processing/classify.py" line="141" />
      <source>{0} training feature(s) without a class were skipped</source>
      <translation>{0} Trainingsobjekt(e) ohne Klasse wurden übersprungen</translation>
    </message>
    <message>
      <location filename="../bridge/download.py" line="312" />
      <source>{0}, {1}/s</source>
      <translation>{0}, {1}/s</translation>
    </message>
    <message>
      <location filename="../bridge/explore_outputs.py" line="540" />
      <source>{0}-fold cross-validated accuracy (held out by {1}): {2:.1%}</source>
      <translation>{0}-fach kreuzvalidierte Genauigkeit (zurückgehalten je {1}): {2:.1%}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="741" />
      <source>{file} cannot be used: {err}</source>
      <translation>{file} kann nicht verwendet werden: {err}</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="743" />
      <source>{folder} cannot be read: {err}</source>
      <translation>{folder} kann nicht gelesen werden: {err}</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1134" />
      <source>{k} without a value (each reason in the log panel, rs_embed), e.g.: {err}</source>
      <translation>{k} ohne Wert (jeder Grund im Protokoll-Bedienfeld, rs_embed), z. B.: {err}</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="677" />
      <source>{name} already has {n} embedding fields ({first}...). Overwrite their values for the selected features?</source>
      <translation>{name} hat bereits {n} Einbettungsfelder ({first}...). Ihre Werte für die gewählten Objekte überschreiben?</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="550" />
      <source>{name} cannot be edited.</source>
      <translation>{name} kann nicht bearbeitet werden.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="693" />
      <source>{name} cannot hold 768 more fields: {reason}</source>
      <translation>{name} kann keine 768 weiteren Felder aufnehmen: {reason}</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="592" />
      <source>{name} embeddings</source>
      <translation>{name} (Einbettungen)</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="593" />
      <source>{name}: only polygon and point layers can be embedded.</source>
      <translation>{name}: nur Polygon- und Punktlayer können eingebettet werden.</translation>
    </message>
    <message>
      <location filename="../gui/dock.py" line="597" />
      <source>{name}: {n} selected feature(s).</source>
      <translation>{name}: {n} gewählte(s) Objekt(e).</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="852" />
      <source>{n} areas, {km:,.0f} km² in all</source>
      <translation>{n} Gebiete, insgesamt {km:,.0f} km²</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="731" />
      <source>{n} features: reading them is much faster with the fast cache, which needs {size} in {folder} and takes a while to build once.</source>
      <translation>{n} Objekte: Das Lesen geht mit dem Schnell-Cache viel schneller; er braucht {size} in {folder} und einmalig etwas Zeit zum Erstellen.</translation>
    </message>
    <message>
      <location filename="../gui/explore_panel.py" line="658" />
      <source>{n} places found</source>
      <translation>{n} Orte gefunden</translation>
    </message>
    <message>
      <location filename="../gui/controller.py" line="1113" />
      <source>{ok} of {n} features embedded into {name}.</source>
      <translation>{ok} von {n} Objekten in {name} eingebettet.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="320" />
      <source>{storage} holds at most {limit} fields; the layer has {have} and needs {new} more.</source>
      <translation>{storage} fasst höchstens {limit} Felder; der Layer hat {have} und braucht {new} weitere.</translation>
    </message>
    <message>
      <location filename="../gui/layers.py" line="148" />
      <source>{year} grid {time}</source>
      <translation>Gitter {year} {time}</translation>
    </message>
    <message>
      <source>Approximate scores from the search index (faster; cosine only)</source>
      <translation type="vanished">Näherungswerte aus dem Suchindex (schneller; nur Kosinus)</translation>
    </message>
    <message>
      <source>Cluster sizes (k = {0})</source>
      <translation type="vanished">Clustergrößen (k = {0})</translation>
    </message>
    <message>
      <source>Clusters (k = {0})</source>
      <translation type="vanished">Cluster (k = {0})</translation>
    </message>
    <message>
      <source>Data directory (holds embed_map_310k.tif)</source>
      <translation type="vanished">Datenverzeichnis (enthält embed_map_310k.tif)</translation>
    </message>
    <message>
      <source>Expand points and bboxes to at least (degrees)</source>
      <translation type="vanished">Punkte und Umgebungsrechtecke erweitern auf mindestens (Grad)</translation>
    </message>
    <message>
      <source>Grid of {h} x {w} pixels added ({frac:.0%} with data).</source>
      <translation type="vanished">Gitter von {h} x {w} Pixeln hinzugefügt ({frac:.0%} mit Daten).</translation>
    </message>
    <message>
      <source>Half the side of the square area around the point.</source>
      <translation type="vanished">Die halbe Seitenlänge des quadratischen Gebiets um den Punkt.</translation>
    </message>
    <message>
      <source>Removing the fast cache...</source>
      <translation type="vanished">Schnell-Cache wird entfernt...</translation>
    </message>
    <message>
      <source>The fast cache was removed.</source>
      <translation type="vanished">Der Schnell-Cache wurde entfernt.</translation>
    </message>
    <message>
      <source>Writes the Copernicus-Embed pixels (year 2021) of an extent as a GeoTIFF of 768 float32 bands named emb_000 .. emb_767, in EPSG:4326 on the product's own grid (0.25° pixels, about 28 km at the equator; edges at -180.125 + 0.25 k and 90.125 - 0.25 k). Ocean pixels are all zeros.&lt;br&gt;&lt;br&gt;&lt;b&gt;Extent&lt;/b&gt;: any CRS; its boundary is densified before the transform to EPSG:4326, so UTM and polar rectangles get the right box. An extent across the antimeridian gives a grid whose longitudes run past 180; one holding a pole covers every longitude. An extent without a CRS is read as EPSG:4326.&lt;br&gt;&lt;b&gt;Expand&lt;/b&gt; (degrees): a side shorter than this is grown to it around its centre; 0 keeps the extent as it is. The box is then snapped outward to whole product pixels.&lt;br&gt;&lt;b&gt;PCA RGB&lt;/b&gt; (optional): a 4-band RGBA GeoTIFF of the first three principal components of the vectors, 2-98 % stretched; ocean is transparent.&lt;br&gt;&lt;br&gt;&lt;b&gt;Limits&lt;/b&gt;: a grid over 2 GB (about 700 000 pixels) is refused; the data directory is DATA_DIR, else the plugin setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed.</source>
      <translation type="vanished">Schreibt die Copernicus-Embed-Pixel (Jahr 2021) einer Ausdehnung als GeoTIFF mit 768 float32-Bändern namens emb_000 .. emb_767, in EPSG:4326 auf dem eigenen Gitter des Produkts (Pixel von 0,25°, etwa 28 km am Äquator; Kanten bei -180.125 + 0.25 k und 90.125 - 0.25 k). Meerespixel bestehen nur aus Nullen.&lt;br&gt;&lt;br&gt;&lt;b&gt;Ausdehnung&lt;/b&gt;: beliebiges KBS; ihr Rand wird vor der Transformation nach EPSG:4326 verdichtet, sodass UTM- und Polarrechtecke das richtige Rechteck erhalten. Eine Ausdehnung über den Antimeridian ergibt ein Gitter, dessen Längengrade über 180 hinauslaufen; eine, die einen Pol enthält, umfasst alle Längengrade. Eine Ausdehnung ohne KBS wird als EPSG:4326 gelesen.&lt;br&gt;&lt;b&gt;Erweitern&lt;/b&gt; (Grad): Eine kürzere Seite wird um ihre Mitte auf diesen Wert vergrößert; 0 lässt die Ausdehnung, wie sie ist. Das Rechteck wird dann nach außen auf ganze Produktpixel ausgerichtet.&lt;br&gt;&lt;b&gt;PCA-RGB&lt;/b&gt; (optional): ein RGBA-GeoTIFF mit 4 Bändern aus den ersten drei Hauptkomponenten der Vektoren, 2-98 % gestreckt; das Meer ist transparent.&lt;br&gt;&lt;br&gt;&lt;b&gt;Grenzen&lt;/b&gt;: Ein Gitter über 2 GB (etwa 700 000 Pixel) wird abgelehnt; das Datenverzeichnis ist DATA_DIR, sonst die Plugin-Einstellung, sonst $RS_EMBED_COP_DIR, sonst data/copernicus_embed.</translation>
    </message>
    <message>
      <source>{0} areas, {1:,.0f} km² in all</source>
      <translation type="vanished">{0} Gebiete, insgesamt {1:,.0f} km²</translation>
    </message>
    <message>
      <source>{0} places found</source>
      <translation type="vanished">{0} Orte gefunden</translation>
    </message>
  </context>
</TS>
