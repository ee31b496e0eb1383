package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The {@code -o table|json} option of every command that lists or shows something. {@code table} (the default) is
 * for people and may change between versions; {@code json} prints the API's own document for the request, as the
 * server sent it (its fields in their order, indented), so that scripts read exactly what {@code docs/API.md}
 * describes and nothing the CLI made up. A command mixes this in and calls {@link #printed} first.
 */
final class Output {
    /** The formats. */
    enum Format {
        TABLE, JSON
    }

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", converter = FormatConverter.class,
            completionCandidates = Formats.class,
            description = "table (default) or json: the API's document, unchanged, for scripts")
    Format format = Format.TABLE;

    /**
     * In {@code json} mode prints {@code document} and returns true (the command prints nothing else); in
     * {@code table} mode prints nothing and returns false.
     */
    boolean printed(PrintWriter out, JsonNode document) {
        if (format != Format.JSON) {
            return false;
        }
        out.println(CliJson.pretty(document));
        return true;
    }

    /** {@code table} or {@code json}, in any case; anything else names the option and the allowed values. */
    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            for (Format f : Format.values()) {
                if (f.name().equalsIgnoreCase(value.strip())) {
                    return f;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not an output format; use table or json");
        }
    }

    /** The values completion offers. */
    static final class Formats implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of(Format.values()).stream().map(f -> f.name().toLowerCase(Locale.ROOT)).iterator();
        }
    }
}
