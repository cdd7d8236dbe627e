"""Engine helpers shared by the tasks: work done in the streaming pass that reads bronze."""
