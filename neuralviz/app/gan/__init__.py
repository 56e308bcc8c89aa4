"""The GAN page on 2-D points (GAN Lab's layered view) and its lecture view: page.py, view.py, worker.py."""
