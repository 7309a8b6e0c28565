/*
 * tf_registry.c: the one table of stage types. Adding a stage means
 * writing transforms/tf_NAME.c, listing it in transforms/CMakeLists.txt and
 * adding it here (and to docs/stages.md); the registry test checks that
 * every stage has a summary and help on every option.
 */
#include "isl_setup.h"
#include "tf_stage.h"

#include <string.h>

extern const struct tf_stage_type tf_trim, tf_collapse_spaces, tf_lower,
    tf_upper, tf_title, tf_default, tf_no_null, tf_pattern, tf_length, tf_enum,
    tf_map, tf_date, tf_datetime, tf_number, tf_boolean, tf_email, tf_phone,
    tf_template, tf_unique, tf_reference, tf_filter;

/* Value stages first, then row stages; the order is that of the docs. */
static const struct tf_stage_type *const stages[] = {
    &tf_trim,     &tf_collapse_spaces,
    &tf_lower,    &tf_upper,
    &tf_title,    &tf_default,
    &tf_pattern,  &tf_length,
    &tf_enum,     &tf_map,
    &tf_date,     &tf_datetime,
    &tf_number,   &tf_boolean,
    &tf_email,    &tf_phone,
    &tf_template, &tf_no_null,
    &tf_unique,   &tf_reference,
    &tf_filter,   NULL,
};

const struct tf_stage_type *tf_registry_find(const char *name)
{
    for (size_t i = 0; stages[i]; i++)
        if (strcmp(stages[i]->name, name) == 0)
            return stages[i];
    return NULL;
}

const struct tf_stage_type *const *tf_registry_all(void)
{
    return stages;
}
