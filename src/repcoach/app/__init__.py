"""The coach as a local web app: live camera page, uploads, history (``repcoach serve``).

:func:`repcoach.app.server.create_app` builds the FastAPI application; the SQLite store is
:mod:`repcoach.app.store`; pages and scripts are in ``static/`` (served from the package).
"""
