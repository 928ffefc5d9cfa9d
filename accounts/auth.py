"""Bearer-token authentication for the API.

``token_auth`` trusts the signed access token and does not load the user row: the token's
``user_id`` claim is all the ballot endpoints need, which saves a query per request. Access
tokens are short-lived (``JWT_ACCESS_MINUTES``), which bounds how long a deactivated user's
token keeps working. ``user_auth`` loads and checks the user, for endpoints that show it.
"""

from ninja_jwt.authentication import JWTAuth, JWTStatelessUserAuthentication

token_auth = JWTStatelessUserAuthentication()
user_auth = JWTAuth()
