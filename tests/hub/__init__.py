"""The toolkit under a real JupyterHub (see conftest.py)."""
