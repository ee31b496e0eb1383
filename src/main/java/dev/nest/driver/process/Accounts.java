package dev.nest.driver.process;

import dev.nest.spi.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Looks up the uid and primary gid of an account in {@code /etc/passwd} (a number stands for itself). */
final class Accounts {
    private Accounts() {
    }

    /**
     * The account {@code user}: a name in {@code passwd}, or a number used as both uid and gid.
     *
     * @throws SandboxException when the name is unknown or names root
     */
    static HostLaunch.PodUser resolve(String user, Path passwd) {
        HostLaunch.PodUser found = null;
        if (user.chars().allMatch(Character::isDigit)) {
            int n = Integer.parseInt(user);
            found = new HostLaunch.PodUser(n, n);
        } else {
            try {
                for (String line : Files.readAllLines(passwd)) {
                    String[] f = line.split(":");
                    if (f.length >= 4 && f[0].equals(user)) {
                        found = new HostLaunch.PodUser(Integer.parseInt(f[2]), Integer.parseInt(f[3]));
                        break;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                throw new SandboxException("cannot read " + passwd + " to find user " + user + ": " + e.getMessage(), e);
            }
        }
        if (found == null) {
            throw new SandboxException("key '" + ProcessDriverSettings.PREFIX + "user': no account '" + user + "' in "
                    + passwd + "; name an existing unprivileged account, e.g. nobody");
        }
        if (found.uid() == 0 || found.gid() == 0) {
            throw new SandboxException("key '" + ProcessDriverSettings.PREFIX + "user': '" + user
                    + "' is root or in group root; name an unprivileged account, e.g. nobody");
        }
        return found;
    }
}
