"""The store's schema migrations (Alembic): ``env.py`` and ``versions/``, driven from code by
:mod:`ioc.store.migrate` (no ``alembic.ini``); ``python -m ioc db upgrade`` runs them."""
