"""The Robustness tab and its lecture view: compression (pruning), noise and dropout (Jacobian), adversarial
examples, and learning the structure (group sparsity). Engine work lives in the *_run.py modules (numpy, no Qt),
run in a WorkerHost thread by worker.py; the *_panel.py widgets draw their frames."""
