package dev.nest.sim;

import java.util.Arrays;

/** A growable ring buffer of longs used as a deque (times in the event loop); no boxing. */
final class LongRing {
    private long[] a = new long[16];
    private int head;
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void addLast(long v) {
        if (size == a.length) {
            long[] b = new long[a.length * 2];
            for (int i = 0; i < size; i++) {
                b[i] = a[(head + i) & (a.length - 1)];
            }
            a = b;
            head = 0;
        }
        a[(head + size) & (a.length - 1)] = v;
        size++;
    }

    /** The {@code i}-th value from the first (0 <= i < size). */
    long get(int i) {
        return a[(head + i) & (a.length - 1)];
    }

    long peekFirst() {
        return a[head];
    }

    long pollFirst() {
        long v = a[head];
        head = (head + 1) & (a.length - 1);
        size--;
        return v;
    }

    long pollLast() {
        size--;
        return a[(head + size) & (a.length - 1)];
    }

    void clear() {
        head = 0;
        size = 0;
        Arrays.fill(a, 0);
    }
}
