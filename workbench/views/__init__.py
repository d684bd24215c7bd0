"""The workbench's Qt widgets and item models (``Qt…`` classes in ``qt_*`` modules).

Each view is a widget over a model of :mod:`workbench.models` or a Qt item model; views reach a
broker only through :mod:`workbench.client`.
"""
