"""People who sign in: their accounts, roles and sign-in."""
