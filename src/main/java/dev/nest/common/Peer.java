package dev.nest.common;

import java.net.URI;

/**
 * Another live node of the region, as the region-wide readers (history, reports) reach it.
 *
 * @param id  its node id
 * @param url its public base URL ({@code http(s)://address:port})
 */
public record Peer(String id, URI url) {
}
