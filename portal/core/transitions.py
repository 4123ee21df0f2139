"""The error every guarded state transition raises."""


class IllegalTransition(Exception):
    """The record is not in a state that allows this change; nothing was changed."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""
