"""Built-in demo sources: a generated corpus served in the real API shapes on 127.0.0.1."""
