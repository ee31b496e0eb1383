package dev.nest.auth;

class InMemoryTokenStoreTest extends TokenStoreContract {
    private final InMemoryTokenStore store = new InMemoryTokenStore(clock);

    @Override
    protected TokenStore store() {
        return store;
    }
}
