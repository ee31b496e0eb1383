package dev.nest.driver.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageConfigTest {
    static final String L1 = "sha256:" + "1".repeat(64);
    static final String L2 = "sha256:" + "2".repeat(64);
    static final String L3 = "sha256:" + "3".repeat(64);

    static ImageConfig parse(String json) {
        return ImageConfig.parse(json.getBytes(StandardCharsets.UTF_8), "the config of image x");
    }

    @Test
    void readsTheProcessDefaultsAndLayers() {
        ImageConfig c = parse("""
                {"architecture":"amd64","os":"linux",
                 "config":{"Env":["PATH=/usr/bin","NODE_ENV=production"],"Entrypoint":["/usr/bin/node"],
                           "Cmd":["/nest/runtime/host.js"],"WorkingDir":"/nest/runtime","User":"65534"},
                 "rootfs":{"type":"layers","diff_ids":["%s","%s"]}}
                """.formatted(L1, L2));
        assertEquals(List.of("PATH=/usr/bin", "NODE_ENV=production"), c.env());
        assertEquals(List.of("/usr/bin/node", "/nest/runtime/host.js"), c.args());
        assertEquals("/nest/runtime", c.workingDir());
        assertEquals(List.of(L1, L2), c.diffIds());
    }

    @Test
    void missingFieldsGetDefaults() {
        ImageConfig c = parse("{\"config\":{\"Cmd\":[\"sh\"]},\"rootfs\":{\"diff_ids\":[\"" + L1 + "\"]}}");
        assertEquals(List.of(), c.env());
        assertEquals(List.of("sh"), c.args());
        assertEquals("/", c.workingDir());
    }

    @Test
    void theChainIdFollowsTheOciRule() {
        ImageConfig one = new ImageConfig(List.of(), List.of("x"), List.of(), "/", List.of(L1));
        assertEquals(L1, one.chainId(), "one layer: its diff id");
        ImageConfig three = new ImageConfig(List.of(), List.of("x"), List.of(), "/", List.of(L1, L2, L3));
        String c2 = "sha256:" + ImageConfig.sha256Hex(L1 + " " + L2);
        assertEquals("sha256:" + ImageConfig.sha256Hex(c2 + " " + L3), three.chainId());
        // a known value: sha256 of "sha256:11..11 sha256:22..22"
        assertEquals("sha256:" + ImageConfig.sha256Hex("sha256:" + "1".repeat(64) + " sha256:" + "2".repeat(64)),
                new ImageConfig(List.of(), List.of("x"), List.of(), "/", List.of(L1, L2)).chainId());
        assertEquals(71, three.chainId().length());
    }

    @Test
    void unusableConfigsAreRefusedWithWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("not json")).getMessage()
                .startsWith("the config of image x is not JSON"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("{\"config\":{\"Cmd\":[\"sh\"]}}")).getMessage()
                .contains("has no layers"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse(
                "{\"config\":{},\"rootfs\":{\"diff_ids\":[\"" + L1 + "\"]}}")).getMessage().contains("names no command"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse(
                "{\"config\":{\"Cmd\":\"sh\"},\"rootfs\":{\"diff_ids\":[\"" + L1 + "\"]}}")).getMessage()
                .contains("config.Cmd is not a list of strings"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse(
                "{\"config\":{\"Cmd\":[\"sh\"]},\"rootfs\":{\"diff_ids\":[\"md5:00\"]}}")).getMessage()
                .contains("not sha256:<64 hex>"));
    }
}
