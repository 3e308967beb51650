"""The `cnnviz` command: one module per command, the parser and dispatch in cnnviz.cli.main.

Nothing is imported here, so importing one command's module does not load the others.
"""
