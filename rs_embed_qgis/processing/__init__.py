"""The rs_embed Processing provider: toolbox, model designer, batch mode and qgis_process."""
