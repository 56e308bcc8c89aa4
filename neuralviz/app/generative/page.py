"""GenerativePage: the window's "Generative" tab. Networks that make data rather than label it, one inner tab
each: the auto-encoder's latent plane, the GAN on 2-D points (GAN Lab's view), the GAN on digit images, and
texture synthesis from Gram matrices (the feature factory's textures)."""

from __future__ import annotations

from ..common.page_group import PageGroup


class GenerativePage(PageGroup):
    TITLE = "Generative"
    PAGES = [
        ("neuralviz.app.autoencoder.page", "AutoencoderPage"),
        ("neuralviz.app.gan.page", "GanPage"),
        ("neuralviz.app.gan_images.page", "GanImagesPage"),
        ("neuralviz.app.texture.page", "TexturePage"),
    ]
