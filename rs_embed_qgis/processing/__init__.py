# SPDX-License-Identifier: GPL-2.0-or-later
"""The rs_embed Processing provider: toolbox, model designer, batch mode and qgis_process."""
