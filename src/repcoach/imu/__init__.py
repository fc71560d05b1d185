"""IMU modality: alignment onto one clock, windows, counting from IMU peaks, classifier.

Submodules import NumPy/SciPy only, except :mod:`repcoach.imu.model` and
:mod:`repcoach.imu.train`, which import TensorFlow lazily inside functions.
"""
