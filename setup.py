"""Only the compiled part of the package; everything else is declared in pyproject.toml.

``lawtrail.adapters.db._ledger_native`` does the per-row work of the ledger's verification fast
path in C (decision 0032); ``ledger_scan`` falls back to its pure-Python path, byte for byte the
same, when the module is missing. Built by ``pip install -e .`` (in place for development:
``python setup.py build_ext --inplace``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "lawtrail.adapters.db._ledger_native",
            sources=["src/lawtrail/adapters/db/_ledger_native.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
            # Without a C compiler the install still succeeds and verification takes the pure-Python
            # path (the same result, slower); under CI=true the native tests fail instead of skipping.
            optional=True,
        )
    ]
)
