package dev.nest.auth;

/**
 * A token just created, with its secret: the only moment the secret exists outside its holder.
 *
 * @param token  what lists will show
 * @param secret the secret to hand over once
 */
public record IssuedToken(TokenInfo token, TokenSecret secret) {
}
