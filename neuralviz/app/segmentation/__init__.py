"""The Segmentation page and the lecture's RNN-as-PDE scene (issue 20): a coarse CNN's class map refined by a
weight-tied recurrent update, iteration by iteration (Maggiori et al. 2017)."""
