"""The database tables. Import models from here so every table is registered."""

from gateway.models.base import Base, utcnow
from gateway.models.user import Role, User

__all__ = ["Base", "Role", "User", "utcnow"]
