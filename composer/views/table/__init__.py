"""The message table: model (an adapter over the Document), delegates and the view."""
