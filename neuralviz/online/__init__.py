"""Learning without storing the history: full BPTT, truncated BPTT and UORO on a tanh RNN, raced on a stream.

The lecture's NoBackTrack point. Full BPTT is exact but keeps every hidden state of the sequence
(memory grows with T); truncated BPTT keeps k of them and cannot learn a dependency longer than
k; UORO (Tallec & Ollivier 2018, the successor of NoBackTrack) keeps a rank-one estimate of the
influence dh/dtheta — hidden + params floats, independent of T — and is unbiased but noisy.
"""

from .bptt import FullBPTT, TruncatedBPTT, bptt_window
from .race import METHODS, OnlineRun, race_online
from .rnn import TanhRNN
from .tasks import lag_sequences
from .uoro import UORO, UoroState, uoro_sequence_gradient

__all__ = [
    "METHODS",
    "UORO",
    "FullBPTT",
    "OnlineRun",
    "TanhRNN",
    "TruncatedBPTT",
    "UoroState",
    "bptt_window",
    "lag_sequences",
    "race_online",
    "uoro_sequence_gradient",
]
