"""The compiled modules, kept apart so that low-level engine modules import them without running
the package's ``__init__``. The Cython modules, one per concept:

* ``activations``: relu, leaky_relu, tanh, sigmoid, forward and backward;
* ``losses``: softmax cross-entropy, BCE on logits, MSE, each with its gradient;
* ``updates``: SGD, momentum, Adam and RMSprop steps, in place;
* ``colour``: value arrays to RGBA through a colour table (public as ``neuralviz.viz``).

Their activation, loss and SGD maths is ``csrc/common/nn_math.h``, which the C++ kernels compile
too, so the layer path and the fused path run the same formulas.

Contract shared by every function of these modules:

* Arrays are numpy ``ndarray`` objects, C-contiguous, aligned, native byte order, of dtype
  float32 or float64 (labels: int64; colour tables and images: uint8). Every floating array of
  one call has the same dtype: nothing is ever cast, so a float64 array next to a float32 one is
  a ``TypeError``, as is an int array. Wrong shapes, layouts and read-only outputs are
  ``ValueError``. Errors name the function, the argument and the offending value.
* Elementwise functions accept any number of dimensions and work on the flat buffer; their
  outputs must have exactly the input's shape. When an optional output is ``None`` a new array
  is allocated and returned; the hot path passes preallocated outputs.
* Arithmetic is done in the arrays' precision (reductions such as loss sums in float64) without
  fast-math. Loops release the GIL when they are long enough for that to pay off (16k elements):
  releasing it for a 10x8 array costs more than the loop, and handing the GIL to a busy GUI
  thread can stall the caller for a whole switch interval (5 ms).
* No OpenMP: these loops are memory-bound or small; threads live in the C++ kernels.

Build note: GCC only vectorises the loops that contain a select (relu, clamps, sign) or a square
root under ``-fno-trapping-math -fno-math-errno``, which change no result (they are Clang's
defaults); without them the results are identical and those loops 2-4x slower.
"""
