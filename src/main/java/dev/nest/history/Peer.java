package dev.nest.history;

import java.net.URI;

/**
 * Another live node of the region.
 *
 * @param id  its node id
 * @param url its public base URL ({@code http(s)://address:port})
 */
public record Peer(String id, URI url) {
}
