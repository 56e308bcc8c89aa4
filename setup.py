"""Build script: the C++ kernels (neuralviz._native._C), the Cython hot-path modules and, where
nvcc and the CUDA headers exist, the optional CUDA backend (neuralviz._native._C_cuda).

pip runs this file several times per install (PEP 517 hooks), so module level stays
cheap; the expensive probes (OpenMP, nvcc) run inside build_ext.

Environment switches:
  NEURALVIZ_NO_OPENMP=1   build without OpenMP even where the compiler supports it
  NEURALVIZ_NO_CUDA=1     never build the CUDA extension
  NEURALVIZ_CUDA=1        fail the build if the CUDA extension cannot be built
  NEURALVIZ_CUDA_ARCHS=90 semicolon list of SM architectures (default 90: sm_90 code plus compute_90 PTX)
  NEURALVIZ_BUILD_JOBS=N  parallel compile jobs (default: number of CPUs)
"""

from __future__ import annotations

import copy
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pybind11.setup_helpers import ParallelCompile, Pybind11Extension, build_ext, naive_recompile
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
CXX_FLAGS = ["-O3", "-fno-math-errno", "-Wall", "-Wno-unknown-pragmas"]


def _rel(paths):
    return sorted(os.path.relpath(p, ROOT) for p in paths)


def cpu_extension() -> Pybind11Extension:
    sources = _rel(glob.glob(str(ROOT / "csrc" / "common" / "*.cpp")))
    sources += _rel(glob.glob(str(ROOT / "csrc" / "cpu" / "*.cpp")))
    sources.append("csrc/bindings.cpp")
    return Pybind11Extension(
        "neuralviz._native._C",
        sources,
        include_dirs=["csrc"],
        cxx_std=17,
        extra_compile_args=list(CXX_FLAGS),
        depends=_rel(_HEADERS),  # a header edit alone rebuilds the extension
    )


def cython_extensions() -> list[Extension]:
    from Cython.Build import cythonize

    pyx = _rel(glob.glob(str(ROOT / "neuralviz" / "_native" / "*.pyx")))
    # the shared .pxd files and the maths header the C++ kernels share (listed, they also ship in an sdist)
    depends = _rel(glob.glob(str(ROOT / "neuralviz" / "_native" / "*.pxd"))) + ["csrc/common/nn_math.h"]
    exts = [
        Extension(
            p[:-4].replace("/", "."),
            [p],
            language="c++",
            include_dirs=[_numpy_include(), "csrc"],
            depends=depends,
            # -fno-trapping-math changes no result; without it GCC 12 will not
            # vectorise the clamps and selects in the activation/optimizer loops (3x)
            extra_compile_args=list(CXX_FLAGS) + ["-fno-trapping-math"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
        for p in pyx
    ]
    return cythonize(
        exts,
        compiler_directives={"language_level": 3, "boundscheck": False, "wraparound": False, "cdivision": True},
        quiet=True,
    )


def _numpy_include() -> str:
    import numpy

    return numpy.get_include()


def find_cuda_home() -> str | None:
    """The toolkit root holding bin/nvcc and include/cuda_runtime.h, or None.

    nvcc on PATH may be a wrapper script (/usr/local/bin/nvcc here), so its parent folder
    is not trusted: the headers decide.
    """
    candidates = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH")]
    nvcc = shutil.which("nvcc")
    if nvcc:
        candidates.append(str(Path(os.path.realpath(nvcc)).parent.parent))
    candidates += ["/usr/local/cuda"] + sorted(glob.glob("/usr/local/cuda-*"), reverse=True)
    for c in candidates:
        if c and (Path(c) / "include" / "cuda_runtime.h").exists() and (Path(c) / "bin" / "nvcc").exists():
            return c
    return None


def _cuda_binding_sources() -> list[str]:
    """The CUDA backend's pybind11 files (g++ in both builds): the module, then one per kernel family."""
    return ["csrc/cuda/bindings_cuda.cpp", *sorted(_rel(glob.glob(str(ROOT / "csrc" / "cuda" / "bind_*.cpp"))))]


def _cuda_kernel_sources() -> list[str]:
    return sorted(_rel(glob.glob(str(ROOT / "csrc" / "cuda" / "*.cu"))))


def cuda_extension() -> Pybind11Extension | None:
    """neuralviz._native._C_cuda: the kernels compiled by nvcc (only where a toolkit exists)."""
    if os.environ.get("NEURALVIZ_NO_CUDA") == "1":
        return None
    cu = _cuda_kernel_sources()
    if not cu or find_cuda_home() is None:
        if os.environ.get("NEURALVIZ_CUDA") == "1":
            raise RuntimeError("NEURALVIZ_CUDA=1 but no CUDA toolkit (nvcc + include/cuda_runtime.h) found")
        return None
    ext = Pybind11Extension(
        "neuralviz._native._C_cuda",
        _cuda_binding_sources(),
        include_dirs=["csrc"],
        depends=cu + _rel(_HEADERS),  # a kernel edit alone relinks the module
        cxx_std=17,
        extra_compile_args=list(CXX_FLAGS),
    )
    ext.cuda_sources = cu
    return ext


def cudasim_extension() -> Pybind11Extension | None:
    """neuralviz._native._C_cudasim: the same .cu sources compiled by g++ against the simulator in
    csrc/cuda/device.h, so the CUDA kernels are tested on machines without a GPU (tests/test_cuda_sim.py).
    Needs C++20 (std::barrier); a compiler without it skips this module with a warning."""
    if os.environ.get("NEURALVIZ_NO_CUDASIM") == "1" or not _cuda_kernel_sources():
        return None
    ext = Pybind11Extension(
        "neuralviz._native._C_cudasim",
        _cuda_binding_sources(),
        include_dirs=["csrc"],
        depends=_cuda_kernel_sources() + _rel(_HEADERS),
        cxx_std=17,
        extra_compile_args=list(CXX_FLAGS),
        define_macros=[("NVZ_CUDA_SIM", "1"), ("NVZ_CUDA_MODULE", "_C_cudasim")],
        extra_link_args=["-pthread"],
    )
    ext.sim_sources = _cuda_kernel_sources()
    return ext


class BuildExt(build_ext):
    """Adds OpenMP when a probe compiles and links, and compiles .cu files with nvcc."""

    def build_extensions(self):
        omp = self._openmp_flags()
        for ext in self.extensions:
            if omp and not getattr(ext, "cuda_sources", None):
                ext.extra_compile_args += omp
                ext.extra_link_args += omp
        super().build_extensions()

    def build_extension(self, ext):
        optional = getattr(ext, "cuda_sources", None) or getattr(ext, "sim_sources", None)
        if not optional:
            super().build_extension(ext)
            return
        try:
            if getattr(ext, "cuda_sources", None):
                self._build_cuda(ext)
                super().build_extension(ext)
            else:
                self._build_sim(ext)
                # The binding files again, with the simulator's macros: objects of their own, through a
                # copy of this command whose build_temp differs. Swapping self.build_temp instead raced
                # with `build_ext -j`, which builds _C_cuda from the same binding files in another thread.
                sim_cmd = copy.copy(self)
                sim_cmd.build_temp = os.path.join(self.build_temp, "cudasim")
                build_ext.build_extension(sim_cmd, ext)
        except Exception as err:  # optional backends: warn, remove stale copies, go on
            if os.environ.get("NEURALVIZ_CUDA") == "1":
                raise
            print(f"neuralviz: skipping {ext.name} ({err})", file=sys.stderr)
            Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)

    def copy_extensions_to_source(self):
        """--inplace: copies what was built; an optional extension that was skipped is left out."""
        built = [e for e in self.extensions if (Path(self.build_lib) / self.get_ext_filename(e.name)).exists()]
        skipped, self.extensions = self.extensions, built
        try:
            super().copy_extensions_to_source()
        finally:
            self.extensions = skipped

    def _compile_all(self, commands: list[list[str]]) -> None:
        """Runs the compiler commands in parallel (NEURALVIZ_BUILD_JOBS, default: all cores)."""
        from concurrent.futures import ThreadPoolExecutor

        jobs = int(os.environ.get("NEURALVIZ_BUILD_JOBS", "0")) or os.cpu_count() or 1
        for cmd in commands:
            print(" ".join(cmd))
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(lambda c: subprocess.run(c, capture_output=True, text=True), commands))
        for cmd, res in zip(commands, results):
            if res.returncode != 0:
                raise RuntimeError(f"{cmd[0]} failed on {cmd[2]}:\n{res.stdout}{res.stderr}")

    def _objects(self, ext, sources: list[str], folder: str, command) -> list[str]:
        """Compiles the sources whose object is older than them or than any csrc header."""
        objdir = Path(self.build_temp) / folder
        objdir.mkdir(parents=True, exist_ok=True)
        objects, commands = [], []
        for src in sources:
            obj = str(objdir / (Path(src).stem + ".o"))
            if self.force or not os.path.exists(obj) or needs_recompile(obj, src):
                commands.append(command(src, obj))
            objects.append(obj)
        self._compile_all(commands)
        return objects

    def _build_sim(self, ext):
        cxx = self.compiler.compiler_cxx[0] if getattr(self.compiler, "compiler_cxx", None) else "c++"
        flags = ["-std=c++20", "-O2", "-fPIC", "-pthread", "-DNVZ_CUDA_SIM=1", "-Icsrc", "-Wno-unknown-pragmas"]
        ext.extra_objects = self._objects(
            ext, ext.sim_sources, "cudasim", lambda src, obj: [cxx, "-x", "c++", "-c", src, "-o", obj, *flags]
        )

    def _build_cuda(self, ext):
        home = find_cuda_home()
        nvcc = str(Path(home) / "bin" / "nvcc")
        archs = os.environ.get("NEURALVIZ_CUDA_ARCHS", "90").split(";")
        gencode = [f"-gencode=arch=compute_{a},code=sm_{a}" for a in archs]
        gencode.append(f"-gencode=arch=compute_{archs[-1]},code=compute_{archs[-1]}")
        flags = ["-O3", "-std=c++17", "-Icsrc", "--compiler-options", "-fPIC", "--cudart", "static", *gencode]
        ext.extra_objects = self._objects(
            ext, ext.cuda_sources, "cuda", lambda src, obj: [nvcc, "-c", src, "-o", obj, *flags]
        )
        ext.include_dirs.append(str(Path(home) / "include"))
        ext.library_dirs = [str(Path(home) / "lib64"), str(Path(home) / "lib")]
        ext.libraries = ["cudart_static", "rt", "pthread", "dl"]

    def _openmp_flags(self) -> list[str]:
        if os.environ.get("NEURALVIZ_NO_OPENMP") == "1":
            return []
        probe = "#include <omp.h>\nint main(){\n#pragma omp parallel\n{}\nreturn omp_get_max_threads() > 0 ? 0 : 1;}\n"
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "probe.cpp"
            src.write_text(probe)
            cxx = self.compiler.compiler_cxx[0] if getattr(self.compiler, "compiler_cxx", None) else "c++"
            try:
                ok = (
                    subprocess.run(
                        [cxx, "-fopenmp", str(src), "-o", str(Path(tmp) / "probe")], capture_output=True, timeout=120
                    ).returncode
                    == 0
                )
            except (OSError, subprocess.SubprocessError):
                ok = False
        if not ok:
            print("neuralviz: OpenMP probe failed; building single-threaded kernels", file=sys.stderr)
        return ["-fopenmp"] if ok else []


class BuildPyWithAssets(build_py):
    """Copies the repository's assets/ into the package so wheels carry presets and data."""

    def run(self):
        super().run()
        src = ROOT / "assets"
        dst = Path(self.build_lib) / "neuralviz" / "assets"
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)


def extensions():
    exts = [cpu_extension(), *cython_extensions()]
    return exts + [e for e in (cuda_extension(), cudasim_extension()) if e is not None]


def needs_recompile(obj: str, src: str) -> bool:
    """Like pybind11's naive_recompile, but a newer header anywhere in csrc/ also counts:
    kernels share headers and .inc files, and a stale object silently gives wrong results."""
    if naive_recompile(obj, src):
        return True
    newest_header = max((os.stat(h).st_mtime for h in _HEADERS), default=0.0)
    return newest_header > os.stat(obj).st_mtime


_HEADERS = [str(p) for ext in ("h", "inc", "cuh") for p in (ROOT / "csrc").rglob(f"*.{ext}")]
ParallelCompile("NEURALVIZ_BUILD_JOBS", needs_recompile=needs_recompile).install()

setup(
    ext_modules=extensions(),
    cmdclass={"build_ext": BuildExt, "build_py": BuildPyWithAssets},
)
