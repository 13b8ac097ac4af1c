"""Build of the optional C scoring kernel (everything else is in pyproject.toml).

``tanzuji.scale._scorekernel`` is built when a C compiler is present; without one the install
goes on (``optional=True``) and :mod:`tanzuji.scale.kernel` scores with SciPy instead, to the
same bits. No floating-point contraction: a fused multiply-add would round differently.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "tanzuji.scale._scorekernel",
            sources=["src/tanzuji/scale/_scorekernel.c"],
            extra_compile_args=["-O3", "-ffp-contract=off", "-fno-fast-math"],
            optional=True,
        )
    ]
)
