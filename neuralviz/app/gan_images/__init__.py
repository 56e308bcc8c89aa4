"""The image GAN page (a DCGAN-style generator on digits) and its lecture view."""
