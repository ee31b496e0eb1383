package dev.nest.driver.containerd;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The seccomp filter of a containerd pod (the OCI spec's {@code linux.seccomp}; runc installs it just before the
 * host starts). Pods already run as nobody with no capabilities and no-new-privileges, so most dangerous system
 * calls fail anyway; the filter takes away the kernel surface an unprivileged process still reaches and a function
 * never needs: new user namespaces (which would give the process capabilities inside them), {@code bpf}, {@code
 * perf_event_open}, {@code userfaultfd}, {@code io_uring}, keyrings, {@code ptrace} and cross-process memory access,
 * NUMA placement, and everything that needs a capability (mounts, modules, clocks, reboot, swap, quotas).
 *
 * <p>Those calls fail with {@code EPERM}; every other call is allowed, so a runtime's new use of an ordinary call
 * does not break pods. {@code clone3} fails with {@code ENOSYS}: its flags sit in memory a filter cannot read, and
 * the C library then falls back to {@code clone}, whose namespace flags are checked.
 */
final class SeccompProfile {
    /** errno values: operation not permitted, function not implemented. */
    static final int EPERM = 1;
    static final int ENOSYS = 38;

    /** Calls that fail with EPERM. */
    static final List<String> DENIED = List.of(
            // namespaces: a user namespace hands out capabilities inside it
            "unshare", "setns",
            // kernel surface reachable without privileges
            "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
            "add_key", "request_key", "keyctl", "fanotify_init", "lookup_dcookie",
            // other processes' memory
            "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
            // NUMA placement of memory
            "mbind", "migrate_pages", "move_pages", "set_mempolicy", "get_mempolicy",
            // file systems and mounts
            "mount", "umount", "umount2", "pivot_root", "mount_setattr", "move_mount", "open_tree", "fsopen",
            "fsconfig", "fsmount", "fspick", "name_to_handle_at", "open_by_handle_at", "quotactl", "quotactl_fd",
            "swapon", "swapoff", "ustat", "nfsservctl",
            // the machine: modules, kexec, reboot, clocks, host name, accounting, kernel log, I/O ports
            "init_module", "finit_module", "delete_module", "create_module", "query_module", "get_kernel_syms",
            "kexec_load", "kexec_file_load", "reboot", "settimeofday", "stime", "clock_settime", "clock_adjtime",
            "sethostname", "setdomainname", "acct", "syslog", "iopl", "ioperm", "vhangup", "uselib", "_sysctl",
            "vm86", "vm86old");

    /**
     * clone's namespace flags: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (NEWTIME exists only
     * for clone3 and unshare, both denied whole).
     */
    static final List<Long> NAMESPACE_FLAGS = List.of(0x00020000L, 0x02000000L, 0x04000000L, 0x08000000L,
            0x10000000L, 0x20000000L, 0x40000000L);

    private SeccompProfile() {
    }

    /** Writes the filter into {@code linux} for the machine's architecture ({@code os.arch}). */
    static void write(ObjectNode linux, String osArch) {
        ObjectNode seccomp = linux.putObject("seccomp");
        seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
        ArrayNode arches = seccomp.putArray("architectures");
        architectures(osArch).forEach(arches::add);
        ArrayNode syscalls = seccomp.putArray("syscalls");
        ObjectNode denied = syscalls.addObject();
        DENIED.forEach(denied.putArray("names")::add);
        denied.put("action", "SCMP_ACT_ERRNO");
        denied.put("errnoRet", EPERM);
        ObjectNode clone3 = syscalls.addObject();
        clone3.putArray("names").add("clone3");
        clone3.put("action", "SCMP_ACT_ERRNO");
        clone3.put("errnoRet", ENOSYS);
        // one rule per flag: a rule's conditions must all hold, and "any of these bits" is not one condition
        int flagsArg = osArch.equals("s390x") ? 1 : 0;
        for (long flag : NAMESPACE_FLAGS) {
            ObjectNode rule = syscalls.addObject();
            rule.putArray("names").add("clone");
            rule.put("action", "SCMP_ACT_ERRNO");
            rule.put("errnoRet", EPERM);
            ObjectNode arg = rule.putArray("args").addObject();
            arg.put("index", flagsArg);
            arg.put("value", flag);
            arg.put("valueTwo", flag);
            arg.put("op", "SCMP_CMP_MASKED_EQ");
        }
    }

    /** The seccomp architectures of a JVM's {@code os.arch}: the native one and those its kernel also runs. */
    static List<String> architectures(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
            case "aarch64", "arm64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
            case "ppc64le" -> List.of("SCMP_ARCH_PPC64LE");
            case "s390x" -> List.of("SCMP_ARCH_S390X", "SCMP_ARCH_S390");
            case "riscv64" -> List.of("SCMP_ARCH_RISCV64");
            default -> List.of();
        };
    }
}
