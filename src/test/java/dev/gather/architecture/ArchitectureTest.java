package dev.gather.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The package structure the developers' guide asks for, checked on the compiled classes. */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.gather");
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("dev.gather.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void theDatabaseOwnerKnowsNoDomain() {
    noClasses().that().resideInAPackage("dev.gather.db..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.gather.users..", "dev.gather.jobs..")
        .check(classes);
  }

  @Test
  void theDatabasePackageDependsOnlyOnConfigFailureAndTime() {
    noClasses().that().resideInAPackage("dev.gather.db..")
        .should().dependOnClassesThat(resideInAPackage("dev.gather..").and(resideOutsideOfPackages(
            "dev.gather.db..", "dev.gather.config..", "dev.gather.failure..", "dev.gather.time..")))
        .check(classes);
  }
}
