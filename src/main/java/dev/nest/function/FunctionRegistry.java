package dev.nest.function;

import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Write side of the desired state. Each change is an atomic read-modify-write of one function's record;
 * concurrent writers do not lose each other's versions.
 */
public interface FunctionRegistry extends FunctionCatalog {
    /**
     * Applies {@code change} to the current record (or to {@code FunctionRecord.empty} when there is none)
     * and stores the result atomically, retrying on concurrent modification.
     *
     * @return the stored record
     */
    FunctionRecord update(FunctionId id, String origin, UnaryOperator<FunctionRecord> change);

    /** Removes a function and all its versions; returns whether it existed. */
    boolean delete(FunctionId id);

    default Optional<FunctionRecord> find(FunctionId id) {
        return get(id);
    }
}
