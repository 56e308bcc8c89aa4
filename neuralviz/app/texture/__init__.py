"""The texture page and scene: a texture forming from noise by matching Gram matrices (neuralviz.texture)."""
