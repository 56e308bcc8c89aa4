"""The sequence page: a recurrent network unrolled over one sequence (states, gates, gradients through time),
and the lecture's story read by a memory network (Story QA)."""
