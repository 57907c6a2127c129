"""Custom Keras 3 layers of the lectures (imported as ``zoo.layers``)."""
