package dev.nest.deploy;

/**
 * A config file that could not be applied.
 *
 * @param file      the file
 * @param namespace the namespace it names (or {@code default})
 * @param name      the function it names, or its base name when the name cannot be read
 * @param error     what is wrong, naming the key, the value and what is allowed
 */
public record FileProblem(String file, String namespace, String name, String error) {
}
