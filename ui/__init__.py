"""The pygame desktop window of the digit recognizer.

`ui` owns pygame and Tk and imports `nn`, never the reverse. Entry point: `ui.app.run_app()`.
"""
