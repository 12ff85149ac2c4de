package droprule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Store is the store of drop rules (the DynamoDB table, or SQLite).
type Store interface {
	// Put stores r (r.Tenant, r.Name), replacing the tenant's rule of that name if any.
	Put(ctx context.Context, r api.DropRule) error
	// Get returns the tenant's rule, or ErrNotFound (also for another tenant's).
	Get(ctx context.Context, tenant, name string) (api.DropRule, error)
	// List returns the tenant's rules by name.
	List(ctx context.Context, tenant string) ([]api.DropRule, error)
	// Delete removes the tenant's rule; ErrNotFound if it has none of that name.
	Delete(ctx context.Context, tenant, name string) error
}

// Folders is a store in which a folder exists on its own (the local stack's files, where
// nothing else would create a drop rule's folder before a file is copied into it); S3 has none.
type Folders interface {
	// MakeFolder creates the folder prefix (ending in "/") if it does not exist.
	MakeFolder(ctx context.Context, prefix string) error
}

// Rules are a deployment's drop rules: every call checks the tenant and the rule's name before
// the store sees them. Without a store (nil) the deployment has no drop rules, and every call
// says so.
type Rules struct {
	store     Store
	folders   Folders // nil where folders do not exist on their own (S3)
	locations layout.Locations
	now       func() time.Time
}

// New returns the rules kept in store (nil: none), whose folders are made in folders (nil: where
// folders do not exist on their own), located by locations, stamped with now's time in UTC.
func New(store Store, folders Folders, locations layout.Locations, now func() time.Time) *Rules {
	return &Rules{store: store, folders: folders, locations: locations, now: now}
}

// Enabled reports whether the deployment has a drop rule store.
func (r *Rules) Enabled() bool { return r.store != nil }

// Put validates the template and stores the rule (creating or replacing it). The template is
// checked by check, as a create request is, with the rule's folder standing in for the input
// location (check may make the probe's LanguageCode canonical); it may not name an input
// location, upload files or a ClientRequestToken of its own.
func (r *Rules) Put(ctx context.Context, tenant, name string, tmpl api.CreateJobRequest, check func(probe *api.CreateJobRequest) error) (api.DropRule, error) {
	if err := r.ready(tenant); err != nil {
		return api.DropRule{}, err
	}
	if err := CheckName(name); err != nil {
		return api.DropRule{}, err
	}
	bad := func(what string) error {
		return fmt.Errorf("%w: a drop rule's template cannot give %s: the dropped object is the input and its version the token", job.ErrInvalid, what)
	}
	switch {
	case tmpl.InputDataConfig.S3Uri != "":
		return api.DropRule{}, bad("InputDataConfig.S3Uri")
	case len(tmpl.UploadFiles) > 0:
		return api.DropRule{}, bad("UploadFiles")
	case tmpl.ClientRequestToken != "":
		return api.DropRule{}, bad("ClientRequestToken")
	}
	probe := tmpl
	probe.InputDataConfig.S3Uri = r.locations.URI(Prefix(tenant, name))
	if err := check(&probe); err != nil {
		return api.DropRule{}, err
	}
	// The rule keeps what was asked (a ModelId left out or "latest" is resolved as each job
	// starts), with its LanguageCode in the canonical case the jobs will show.
	tmpl.LanguageCode = probe.LanguageCode
	// Where folders exist on their own, the rule's folder is there once the rule is: a file
	// can be copied into it at once.
	if r.folders != nil {
		if err := r.folders.MakeFolder(ctx, Prefix(tenant, name)); err != nil {
			if errors.Is(err, job.ErrConflict) { // a file has the folder's name: the user's to move
				return api.DropRule{}, fmt.Errorf("%w: drop rule %s: %s", job.ErrConflict, name, strings.TrimPrefix(err.Error(), job.ErrConflict.Error()+": "))
			}
			return api.DropRule{}, fmt.Errorf("create the drop rule's folder: %w", err)
		}
	}
	rule := api.DropRule{Name: name, Tenant: tenant, Location: r.locations.URI(Prefix(tenant, name)), Template: tmpl, UpdatedAt: r.now().UTC()}
	if err := r.store.Put(ctx, rule); err != nil {
		return api.DropRule{}, fmt.Errorf("store drop rule: %w", err)
	}
	return rule, nil
}

// Get returns the tenant's rule (ErrNotFound for an unknown name).
func (r *Rules) Get(ctx context.Context, tenant, name string) (api.DropRule, error) {
	if err := r.ready(tenant); err != nil {
		return api.DropRule{}, err
	}
	if err := CheckName(name); err != nil {
		return api.DropRule{}, err
	}
	return r.store.Get(ctx, tenant, name)
}

// List returns the tenant's rules by name.
func (r *Rules) List(ctx context.Context, tenant string) ([]api.DropRule, error) {
	if err := r.ready(tenant); err != nil {
		return nil, err
	}
	return r.store.List(ctx, tenant)
}

// Delete removes the tenant's rule (ErrNotFound for an unknown name).
func (r *Rules) Delete(ctx context.Context, tenant, name string) error {
	if err := r.ready(tenant); err != nil {
		return err
	}
	if err := CheckName(name); err != nil {
		return err
	}
	return r.store.Delete(ctx, tenant, name)
}

func (r *Rules) ready(tenant string) error {
	if !layout.ValidTenant(tenant) {
		return fmt.Errorf("%w: tenant %q", job.ErrUnauthorized, tenant)
	}
	if r.store == nil {
		return errors.New("this deployment has no drop rule store")
	}
	return nil
}
