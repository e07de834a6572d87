package org.chaosvm.libxc;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the C struct a jnr-ffi {@code Struct} class mirrors. Its fields carry the C field names, in
 * the C order; the ABI test checks size and every offset against the installed headers.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@interface CStruct {
  /** The struct's tag, without the {@code struct} keyword. */
  String value();
}
