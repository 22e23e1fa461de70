"""Only the compiled part of the package; everything else is declared in pyproject.toml.

``lawtrail.adapters.db._ledger_native`` does the per-row work of the ledger's verification fast
path in C (decision 0032) and, where SQLite's header and library are installed (Debian
``libsqlite3-dev``), the whole chunk scan through SQLite's C API (decision 0045); ``ledger_scan``
falls back to its pure-Python path, byte for byte the same, when the module is missing. Built by
``pip install -e .`` (in place for development: ``python setup.py build_ext --inplace``).
"""

from __future__ import annotations

import os
import shutil
import tempfile

from setuptools import Extension, setup


def _have_sqlite() -> bool:
    """True when a C program using SQLite's C API compiles and links here."""
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    compiler = new_compiler()
    customize_compiler(compiler)
    folder = tempfile.mkdtemp()
    try:
        source = os.path.join(folder, "probe.c")
        with open(source, "w") as out:
            out.write("#include <sqlite3.h>\nint main(void) { return sqlite3_libversion_number() > 0 ? 0 : 1; }\n")
        objects = compiler.compile([source], output_dir=folder)
        compiler.link_executable(objects, "probe", output_dir=folder, libraries=["sqlite3"])
        return True
    except Exception:  # no compiler, no header or no library: the extension is built without it
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_SQLITE = _have_sqlite()

setup(
    ext_modules=[
        Extension(
            "lawtrail.adapters.db._ledger_native",
            sources=["src/lawtrail/adapters/db/_ledger_native.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
            # the chunk scan through SQLite's C API (scan_file) only when it builds here
            define_macros=[("LT_SQLITE", "1")] if _SQLITE else [],
            libraries=["sqlite3"] if _SQLITE else [],
            # Without a C compiler the install still succeeds and verification takes the pure-Python
            # path (the same result, slower); under CI=true the native tests fail instead of skipping.
            optional=True,
        )
    ]
)
