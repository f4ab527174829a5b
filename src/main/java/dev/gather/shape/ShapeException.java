package dev.gather.shape;

/** An expression that compiled but could not be applied to the data it was given (e.g. a function's wrong type). */
public final class ShapeException extends RuntimeException {
  ShapeException(String message) {
    super(message, null, false, false);
  }
}
