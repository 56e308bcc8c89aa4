// Bindings of the elementwise kernels on device Tensors (filled in by the kernel family's author).
#include "cuda/bind.h"

namespace nvz::cuda {

void bind_elementwise(py::module_& m) {
  (void)m;
}

}  // namespace nvz::cuda
