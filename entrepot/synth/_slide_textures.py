"""The periodic textures synthetic slides are painted with.

Built in optical density from Ruifrok & Johnston's haematoxylin and eosin
vectors: fibrous eosin stroma, haematoxylin nuclei (larger, denser and darker
in the "lesion"), an out-of-focus copy and the glass. They are the same for
every slide (drawn from TEXTURE_SEED) and drawn once per process; each level
of a slide uses them averaged over blocks of its downsample.
"""

from __future__ import annotations

import functools

import numpy as np

PERIOD = 1024  # level-0 pixels (a multiple of every downsample)
TEXTURE_SEED = 20_260_101
HAEMATOXYLIN = np.array([0.65, 0.70, 0.29])
EOSIN = np.array([0.07, 0.99, 0.11])
GLASS = np.array([242.0, 241.0, 245.0])


def _periodic_gaussian(image: np.ndarray, sigma) -> np.ndarray:
    """Gaussian filter of a periodic 2-D image, through the FFT."""
    from scipy.ndimage import fourier_gaussian

    spectrum = fourier_gaussian(np.fft.rfft2(image), sigma, n=image.shape[1])
    return np.fft.irfft2(spectrum, s=image.shape)


def _periodic_convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    padded = np.zeros_like(image)
    k = kernel.shape[0]
    padded[:k, :k] = kernel
    padded = np.roll(padded, (-(k // 2), -(k // 2)), axis=(0, 1))
    return np.fft.irfft2(np.fft.rfft2(image) * np.fft.rfft2(padded), s=image.shape)


def _texture(rng, density: float, radius: tuple, darkness: float, eosin: float):
    """A periodic H&E texture (PERIOD square, RGB floats): fibrous eosin
    stroma and haematoxylin nuclei, `density` nuclei per 1,000 px²."""
    size = PERIOD
    fibres = _periodic_gaussian(rng.standard_normal((size, size)), (2, 9))
    e = np.clip(eosin + 0.12 * fibres / fibres.std(), 0.05, None)
    h = np.zeros((size, size))
    n = int(density * size * size / 1000)
    yy, xx = np.mgrid[-16:17, -16:17]
    for r in np.linspace(*radius, 3):  # three sizes of nuclei
        impulses = np.zeros((size, size))
        count = n // 3
        rows, cols = rng.integers(0, size, count), rng.integers(0, size, count)
        impulses[rows, cols] = rng.uniform(0.8, 1.2, count) * darkness
        disk = np.clip(r - np.hypot(yy * 1.15, xx), 0, 1)
        h = np.maximum(h, _periodic_convolve(impulses, disk))
    h = np.clip(h, 0, 1.25 * darkness)
    e *= 1 - 0.6 * np.clip(h / darkness, 0, 1)
    od = (h + 0.06)[..., None] * HAEMATOXYLIN + e[..., None] * EOSIN
    return 255.0 * np.exp(-od)


@functools.lru_cache(maxsize=1)
def _base_textures() -> tuple[np.ndarray, ...]:
    """Normal, lesion, out-of-focus and glass textures at level 0: the same
    for every slide (drawn from TEXTURE_SEED), so a process draws them once."""
    rng = np.random.default_rng(TEXTURE_SEED)
    normal = _texture(rng, 0.9, (4.5, 7.0), 1.1, 0.45)
    lesion = _texture(rng, 2.6, (6.5, 10.0), 1.6, 0.25)
    blurred = np.stack([_periodic_gaussian(normal[..., c], 5.0) for c in range(3)], -1)
    background = GLASS + rng.normal(0, 1.2, (PERIOD, PERIOD, 1))
    return tuple(t.astype(np.float32) for t in (normal, lesion, blurred, background))


@functools.lru_cache(maxsize=8)
def textures_at(d: int) -> tuple[np.ndarray, ...]:
    """Normal, lesion, out-of-focus and glass textures averaged over d x d
    blocks (for a level of downsample d), float32 RGB, PERIOD / d square."""
    k = PERIOD // d
    return tuple(t.reshape(k, d, k, d, 3).mean(axis=(1, 3)) for t in _base_textures())
