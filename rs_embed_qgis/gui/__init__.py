"""The plugin's GUI: dock, map tools, tasks and result layers, wired by the GuiController."""
