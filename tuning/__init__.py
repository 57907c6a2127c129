"""keras-tuner hypermodels and search for the zoo's models (imported as ``zoo.tuning``)."""
