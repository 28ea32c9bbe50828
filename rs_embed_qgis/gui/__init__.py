# SPDX-License-Identifier: GPL-2.0-or-later
"""The plugin's GUI: dock, map tools, tasks and result layers, wired by the GuiController."""
